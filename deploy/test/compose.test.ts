/**
 * deploy/compose/compose.yaml, read as Compose reads it (there is no container engine here to
 * run it): two OfficeLLM instances on PostgreSQL and Redis behind Caddy with automatic TLS, and a
 * monitoring profile with Prometheus and Grafana over OfficeLLM's rules and dashboard.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "../../server/test/process.ts";

interface Service {
  image?: string;
  build?: { context: string };
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }> | string[];
  profiles?: string[];
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  read_only?: boolean;
  cap_drop?: string[];
  secrets?: string[];
}

const dir = join(repoRoot, "deploy/compose");
const text = readFileSync(join(dir, "compose.yaml"), "utf8");
const compose = parse(text, { merge: true }) as {
  services: Record<string, Service>;
  secrets: Record<string, { environment?: string }>;
};
const { services } = compose;
const instances = ["officellm-1", "officellm-2"].map((name) => services[name]!);
const caddyfile = readFileSync(join(dir, "Caddyfile"), "utf8");

/** A volume's host side, resolved from the compose file's directory. */
function hostPaths(service: Service): string[] {
  return (service.volumes ?? [])
    .map((volume) => volume.split(":")[0]!)
    .filter((source) => source.startsWith("."))
    .map((source) => join(dir, source));
}

describe("compose.yaml", () => {
  it("runs two OfficeLLM instances of the repository's image", () => {
    for (const instance of instances) {
      expect(instance.build?.context).toBe("../..");
      expect(existsSync(join(dir, instance.build!.context, "Dockerfile"))).toBe(true);
      expect(instance.read_only).toBe(true);
      expect(instance.cap_drop).toEqual(["ALL"]);
    }
    expect(instances[0]).toEqual(instances[1]);
  });

  it("wires PUBLIC_URL, PostgreSQL and Redis into each instance, and starts them once those are healthy", () => {
    for (const { environment, depends_on } of instances) {
      expect(environment?.PUBLIC_URL).toMatch(/^https:\/\/\$\{OFFICELLM_DOMAIN/);
      expect(environment?.DATABASE_URL).toMatch(
        /^postgres:\/\/officellm:\$\{POSTGRES_PASSWORD.*\}@postgres:5432\/officellm$/,
      );
      expect(environment?.REDIS_URL).toBe("redis://redis:6379");
      expect(environment?.TRUST_PROXY).toBe("1");
      expect(depends_on).toEqual({
        postgres: { condition: "service_healthy" },
        redis: { condition: "service_healthy" },
      });
    }
    expect(services.postgres?.image).toMatch(/^postgres:\d+/);
    expect(services.postgres?.healthcheck?.test).toContain("pg_isready");
    expect(services.redis?.image).toMatch(/^redis:\d+/);
    expect(services.redis?.healthcheck?.test).toContain("ping");
  });

  it("names only settings OfficeLLM knows, and holds no secret itself", () => {
    const known = new Set(
      [...readFileSync(join(repoRoot, ".env.example"), "utf8").matchAll(/^([A-Z_]+)=/gm)].map(
        (match) => match[1],
      ),
    );
    known.add("METRICS_TOKEN"); // The token Prometheus presents to /metrics (docs/operations.md).
    for (const name of Object.keys(instances[0]!.environment!)) {
      expect(known, name).toContain(name);
    }
    for (const [name, value] of Object.entries(instances[0]!.environment!)) {
      if (/KEY|SECRET|PASSWORD|TOKEN/.test(name)) expect(value, name).toMatch(/^\$\{[A-Z_]+:[-?]/);
    }
  });

  it("asks for every variable it uses in its .env.example", () => {
    const example = readFileSync(join(dir, ".env.example"), "utf8");
    const used = new Set([...text.matchAll(/\$\{([A-Z_]+)/g)].map((match) => match[1]!));
    used.delete("OFFICELLM_IMAGE"); // Only to run an image built elsewhere.
    for (const name of used) expect(example, name).toMatch(new RegExp(`^${name}=`, "m"));
    // No value filled in, but a harmless default.
    const filled = example.split("\n").filter((line) => /^[A-Z_]+=\S/.test(line));
    expect(filled).toEqual(["RATE_LIMIT_RPM=60"]);
  });

  it("puts Caddy in front with automatic TLS for the domain, balancing over both instances when ready", () => {
    const caddy = services.caddy!;
    expect(caddy.ports).toEqual(expect.arrayContaining(["80:80", "443:443"]));
    expect(caddy.volumes).toContain("./Caddyfile:/etc/caddy/Caddyfile:ro");
    expect(caddy.volumes?.some((volume) => volume.endsWith(":/data"))).toBe(true);
    expect(caddyfile).toMatch(/^\{\$OFFICELLM_DOMAIN\} \{$/m);
    expect(caddyfile).not.toMatch(/tls internal|auto_https off/);
    expect(caddyfile).toMatch(/reverse_proxy officellm-1:3000 officellm-2:3000/);
    expect(caddyfile).toMatch(/health_uri \/ready/);
    expect(caddyfile).toMatch(/respond \/metrics 404/);
    // The instances themselves publish no port: everything goes through Caddy.
    for (const instance of instances) expect(instance.ports).toBeUndefined();
  });

  it("adds Prometheus and Grafana, with OfficeLLM's rules and dashboard, under the monitoring profile", () => {
    const { prometheus, grafana } = services;
    expect(prometheus?.profiles).toEqual(["monitoring"]);
    expect(grafana?.profiles).toEqual(["monitoring"]);
    expect(prometheus?.volumes).toContain("../prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro");
    expect(grafana?.volumes).toContain(
      "../grafana/officellm.json:/var/lib/grafana/dashboards/officellm.json:ro",
    );
    for (const name of ["officellm-1", "officellm-2", "postgres", "redis", "caddy"]) {
      expect(services[name]?.profiles, name).toBeUndefined();
    }

    const config = parse(readFileSync(join(dir, "prometheus.yml"), "utf8")) as {
      rule_files: string[];
      scrape_configs: {
        static_configs: { targets: string[] }[];
        authorization: { credentials_file: string };
      }[];
    };
    expect(config.rule_files).toEqual(["/etc/prometheus/alerts.yml"]);
    const [job] = config.scrape_configs;
    expect(job?.static_configs[0]?.targets).toEqual(["officellm-1:3000", "officellm-2:3000"]);
    expect(job?.authorization.credentials_file).toBe("/run/secrets/metrics_token");
    expect(prometheus?.secrets).toEqual(["metrics_token"]);
    expect(compose.secrets.metrics_token).toEqual({ environment: "METRICS_TOKEN" });
    // Monitoring answers on the host's loopback only.
    for (const service of [prometheus, grafana]) {
      for (const port of service?.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:/);
    }
  });

  it("mounts files that are in the repository", () => {
    const own = Object.values(services)
      .flatMap(hostPaths)
      .filter((path) => !/prometheus\/alerts\.yml$|grafana\/officellm\.json$/.test(path));
    expect(own.length).toBeGreaterThan(3);
    for (const path of own) expect(existsSync(path), path).toBe(true);
  });
});
