// deploy/ without a Docker engine or a cluster: the Kubernetes manifests against the Kubernetes API's OpenAPI
// schemas (kubernetes-models' validators), the Dockerfile through dockerfile-utils' linter (the checks of VS Code's
// Dockerfile support: instruction syntax, arguments, flags), plus what the manifests and the image must agree on.
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ValidationSeverity, validate as lintDockerfile } from "dockerfile-utils";
import yaml from "js-yaml";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { Service } from "kubernetes-models/v1/Service";
import { describe, expect, it } from "vitest";

const deploy = fileURLToPath(new URL("../../../deploy/", import.meta.url));
const models: Record<string, new (o: any) => { validate(): void }> = {
  "apps/v1 Deployment": Deployment,
  "v1 Service": Service,
  "autoscaling/v2 HorizontalPodAutoscaler": HorizontalPodAutoscaler,
};

function manifests(): Array<{ file: string; doc: any }> {
  const dir = `${deploy}kubernetes/`;
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .flatMap((file) => yaml.loadAll(readFileSync(dir + file, "utf8")).filter((doc) => doc != null).map((doc) => ({ file, doc: doc as any })));
}

describe("deploy/", () => {
  it("every Kubernetes manifest validates against its API schema; the Service, probes and HPA point at what exists", () => {
    const docs = manifests();
    expect(docs.map((d) => `${d.doc.apiVersion} ${d.doc.kind}`).sort()).toEqual(Object.keys(models).sort());
    for (const { file, doc } of docs) {
      const Model = models[`${doc.apiVersion} ${doc.kind}`];
      expect(() => new Model(doc).validate(), file).not.toThrow();
    }
    const byKind = Object.fromEntries(docs.map((d) => [d.doc.kind, d.doc]));
    const dep = byKind.Deployment;
    const container = dep.spec.template.spec.containers[0];
    expect(dep.spec.selector.matchLabels).toEqual(byKind.Service.spec.selector);
    const portNames = container.ports.map((p: any) => p.name);
    expect(portNames).toContain(byKind.Service.spec.ports[0].targetPort);
    for (const probe of ["readinessProbe", "livenessProbe", "startupProbe"]) {
      expect(container[probe].httpGet.path, probe).toBe("/health");
      expect(portNames, probe).toContain(container[probe].httpGet.port);
    }
    expect(byKind.HorizontalPodAutoscaler.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: dep.metadata.name });
    expect(byKind.HorizontalPodAutoscaler.spec.metrics.find((m: any) => m.type === "Pods").pods.metric.name).toBe("te_queue_size");
  });

  it("the Dockerfile lints clean and serves on the port the manifests probe", () => {
    const text = readFileSync(`${deploy}Dockerfile`, "utf8");
    const problems = lintDockerfile(text).filter((d) => d.severity === ValidationSeverity.ERROR || d.severity === ValidationSeverity.WARNING);
    expect(problems.map((d) => `line ${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
    expect(text).toMatch(/^EXPOSE 8080$/m);
    expect(text).toMatch(/^ENTRYPOINT \["node", "packages\/cli\/dist\/bin\.js", "serve", "--host", "0\.0\.0\.0", "--port", "8080"\]$/m);
    const dep = manifests().find((d) => d.doc.kind === "Deployment")!.doc;
    expect(dep.spec.template.spec.containers[0].ports[0].containerPort).toBe(8080);
  });
});
