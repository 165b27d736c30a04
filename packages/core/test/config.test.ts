import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, DebertaV2Config } from "../src/index.js";
import { FIXTURES } from "./fixtures.js";

describe("DebertaV2Config", () => {
  it("has HF's defaults for every field", () => {
    const c = new DebertaV2Config({});
    expect(c.vocab_size).toBe(128100);
    expect(c.hidden_size).toBe(1536);
    expect(c.num_hidden_layers).toBe(24);
    expect(c.num_attention_heads).toBe(24);
    expect(c.intermediate_size).toBe(6144);
    expect(c.hidden_act).toBe("gelu");
    expect(c.max_position_embeddings).toBe(512);
    expect(c.type_vocab_size).toBe(0);
    expect(c.layer_norm_eps).toBe(1e-7);
    expect(c.relative_attention).toBe(false);
    expect(c.max_relative_positions).toBe(-1);
    expect(c.pad_token_id).toBe(0);
    expect(c.position_biased_input).toBe(true);
    expect(c.pos_att_type).toEqual([]);
    expect(c.pooler_hidden_act).toBe("gelu");
    expect(c.pooler_hidden_size).toBe(1536);
    expect(c.legacy).toBe(true);
    expect(c.position_buckets).toBe(-1);
    expect(c.norm_rel_ebd).toEqual(["none"]);
    expect(c.share_att_key).toBe(false);
    expect(c.conv_kernel_size).toBe(0);
    expect(c.conv_act).toBe("tanh");
    expect(c.embedding_size).toBe(1536);
    expect(c.attention_head_size).toBe(64);
    expect(c.id2label).toEqual({ 0: "LABEL_0", 1: "LABEL_1" });
    expect(c.label2id).toEqual({ LABEL_0: 0, LABEL_1: 1 });
    // Derived: max_relative_positions < 1 → max_position_embeddings; span = buckets or that.
    expect(c.maxRelativePositions).toBe(512);
    expect(c.attSpan).toBe(512);
  });

  it("reads pos_att_type as a list or a 'p2c|c2p' string", () => {
    expect(new DebertaV2Config({ pos_att_type: "p2c|c2p" }).pos_att_type).toEqual(["p2c", "c2p"]);
    expect(new DebertaV2Config({ pos_att_type: "C2P | P2C" }).pos_att_type).toEqual(["c2p", "p2c"]);
    expect(new DebertaV2Config({ pos_att_type: ["c2p"] }).pos_att_type).toEqual(["c2p"]);
    expect(new DebertaV2Config({ pos_att_type: null }).pos_att_type).toEqual([]);
  });

  it("reads every fixture config and the published ones", () => {
    for (const f of ["tiny-v3", "tiny-v2-conv", "tiny-v2-classic", "tiny-noattn-rel", "long-v3"]) {
      const c = DebertaV2Config.fromJSON(readFileSync(join(FIXTURES, f, "config.json")));
      expect(c.model_type).toBe("deberta-v2");
    }
    const conv = DebertaV2Config.fromJSON(readFileSync(join(FIXTURES, "tiny-v2-conv", "config.json")));
    expect(conv.attSpan).toBe(32);
    expect(conv.conv_act).toBe("gelu");
    const classic = DebertaV2Config.fromJSON(readFileSync(join(FIXTURES, "tiny-v2-classic", "config.json")));
    expect(classic.attSpan).toBe(16);
    expect(classic.embedding_size).toBe(24);
  });

  it("reads id2label / label2id", () => {
    const c = new DebertaV2Config({ id2label: { "0": "entailment", "1": "neutral", "2": "contradiction" } });
    expect(c.num_labels).toBe(3);
    expect(c.id2label[2]).toBe("contradiction");
    expect(c.label2id.neutral).toBe(1);
  });

  it("names the field at fault", () => {
    expect(() => new DebertaV2Config({ hidden_size: "768" as unknown as number })).toThrowError(/field "hidden_size" must be an integer/);
    expect(() => new DebertaV2Config({ relative_attention: 1 as unknown as boolean })).toThrowError(/"relative_attention" must be true or false/);
    expect(() => new DebertaV2Config({ hidden_act: "swishy" })).toThrowError(/"hidden_act" must be one of/);
    expect(() => new DebertaV2Config({ pos_att_type: "c2p|x2y" })).toThrowError(/pos_att_type has unknown entry "x2y"/);
    expect(() => new DebertaV2Config({ hidden_size: 10, num_attention_heads: 3 })).toThrowError(/not a multiple of num_attention_heads/);
    expect(() => new DebertaV2Config({ model_type: "bert" })).toThrowError(/model_type is "bert"/);
    expect(() => DebertaV2Config.fromJSON("{not json", "my/config.json")).toThrowError(/my\/config.json: not valid JSON/);
    try {
      new DebertaV2Config({ num_hidden_layers: 2.5 });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).code).toBe("CONFIG_INVALID");
    }
  });
});
