import { describe, expect, it } from "vitest";
import { catalog } from "./catalog.ts";
import { providerDefinitions, providerVariables } from "./provider-list.ts";

describe("the provider list", () => {
  it("names each provider once", () => {
    const names = providerDefinitions.map((definition) => definition.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it("gives each environment variable to one provider only", () => {
    const declared = providerDefinitions.flatMap((definition) => Object.keys(definition.variables));
    expect(new Set(declared).size).toBe(declared.length);
    expect(Object.keys(providerVariables)).toEqual(declared);
  });

  it("gives each catalog model to one provider only", () => {
    const ids = catalog.map((model) => model.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("has one standby provider, with a model, for a server with none configured", () => {
    const standby = providerDefinitions.filter((definition) => definition.standby);
    expect(standby.map((definition) => definition.name)).toEqual(["demo"]);
    expect(standby[0]?.models.map((model) => model.id)).toEqual(["demo", "demo-embedding"]);
  });
});
