import { create, globals } from "webgpu";
Object.assign(globalThis, globals);
const gpu = create(process.argv[2] ? process.argv[2].split(",") : []);
for (const pp of ["low-power","high-performance"]) {
const adapter = await gpu.requestAdapter({powerPreference: pp});
if (!adapter) { console.log("no adapter"); process.exit(0); }
const info = adapter.info;
console.log(pp, info.vendor, info.architecture, info.device, info.description, info.backendType);
console.log([...adapter.features].join(","));
const l = adapter.limits;
console.log({maxStorageBufferBindingSize: l.maxStorageBufferBindingSize, maxBufferSize: l.maxBufferSize, maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize, maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup, maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage, maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension});
}
process.exit(0);
