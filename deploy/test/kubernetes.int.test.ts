/**
 * deploy/kubernetes, rendered by `kubectl kustomize` as `kubectl apply -k` would render it, and
 * checked for what running OfficeLLM on a cluster needs: probes, resources, a restricted security
 * context, TLS, autoscaling within a disruption budget, settings apart from secrets, and nightly
 * PostgreSQL backups. (Several replicas starting at once is safe because the migrations run under
 * a lock: server/store/migration-lock.int.test.ts.)
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { repoRoot } from "../../server/test/process.ts";

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes objects, read as plain data. */
type Manifest = {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [k: string]: any;
};

async function render(path: string): Promise<Manifest[]> {
  const { stdout } = await promisify(execFile)("kubectl", ["kustomize", join(repoRoot, path)], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return parseAllDocuments(stdout).map((document) => document.toJSON() as Manifest);
}

function only(manifests: Manifest[], kind: string): Manifest {
  const found = manifests.filter((manifest) => manifest.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!;
}

/** The settings OfficeLLM knows (the root .env.example), and the metrics token. */
const knownSettings = new Set([
  ...[...readFileSync(join(repoRoot, ".env.example"), "utf8").matchAll(/^([A-Z_]+)=/gm)].map(
    (match) => match[1]!,
  ),
  "METRICS_TOKEN",
]);

// deploy/kubernetes itself renders the base, as `kubectl apply -k deploy/kubernetes` would.
for (const path of [
  "deploy/kubernetes",
  "deploy/kubernetes/base",
  "deploy/kubernetes/overlays/example",
]) {
  describe(`kubectl kustomize ${path}`, () => {
    let manifests: Manifest[];
    let pod: any;
    let container: any;
    beforeAll(async () => {
      manifests = await render(path);
      pod = only(manifests, "Deployment").spec.template.spec;
      container = pod.containers[0];
    });

    it("renders every object OfficeLLM needs", () => {
      for (const kind of [
        "Deployment",
        "Service",
        "Ingress",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "ConfigMap",
        "CronJob",
        "PersistentVolumeClaim",
      ]) {
        only(manifests, kind);
      }
      // The Secret is a template the operator fills in, never deployed with placeholders.
      expect(manifests.filter((manifest) => manifest.kind === "Secret")).toEqual([]);
    });

    it("probes start-up and liveness on /health and readiness on /ready", () => {
      expect(container.startupProbe.httpGet).toEqual({ path: "/health", port: "http" });
      expect(container.livenessProbe.httpGet).toEqual({ path: "/health", port: "http" });
      expect(container.readinessProbe.httpGet).toEqual({ path: "/ready", port: "http" });
      const startupBudget =
        container.startupProbe.periodSeconds * container.startupProbe.failureThreshold;
      expect(startupBudget).toBeGreaterThanOrEqual(60);
      expect(container.ports).toEqual([{ name: "http", containerPort: 3000 }]);
    });

    it("asks for resources and is limited", () => {
      expect(container.resources.requests).toMatchObject({
        cpu: expect.any(String),
        memory: expect.any(String),
      });
      expect(container.resources.limits).toMatchObject({
        cpu: expect.any(String),
        memory: expect.any(String),
      });
    });

    it("runs restricted: non-root, read-only root filesystem, no privilege escalation, no capabilities", () => {
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 10001,
        seccompProfile: { type: "RuntimeDefault" },
      });
      expect(container.securityContext).toEqual({
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        privileged: false,
        capabilities: { drop: ["ALL"] },
      });
      expect(pod.automountServiceAccountToken).toBe(false);
      // What is written goes to volumes of its own: the compile cache in /tmp.
      const mounts = Object.fromEntries(
        container.volumeMounts.map((mount: any) => [mount.mountPath, mount.name]),
      );
      expect(mounts["/tmp"]).toBeDefined();
      const volume = pod.volumes.find((v: any) => v.name === mounts["/tmp"]);
      expect(volume.emptyDir).toBeDefined();
    });

    it("drains on SIGTERM within the grace period", () => {
      const config = only(manifests, "ConfigMap").data;
      const drainSeconds = Number(config.SHUTDOWN_TIMEOUT_MS) / 1000;
      const pauseSeconds = Number(container.lifecycle.preStop.exec.command[1]);
      expect(drainSeconds + pauseSeconds).toBeLessThan(pod.terminationGracePeriodSeconds);
    });

    it("takes settings from the ConfigMap and secrets from the Secret, naming only known settings", () => {
      expect(container.envFrom).toEqual([
        { configMapRef: { name: "officellm-config" } },
        { secretRef: { name: "officellm" } },
      ]);
      const config = only(manifests, "ConfigMap").data;
      for (const name of Object.keys(config)) expect(knownSettings, name).toContain(name);
      expect(config.HOST).toBe("0.0.0.0");
      expect(config.PUBLIC_URL).toMatch(/^https:\/\//);
      expect(Object.keys(config).join(",")).not.toMatch(/KEY|SECRET|PASSWORD|TOKEN|DATABASE_URL/);

      const template = parse(
        readFileSync(join(repoRoot, "deploy/kubernetes/base/secret.template.yaml"), "utf8"),
      ) as Manifest;
      expect(template.kind).toBe("Secret");
      expect(template.metadata.name).toBe("officellm");
      for (const [name, value] of Object.entries(template.stringData as Record<string, string>)) {
        expect(knownSettings, name).toContain(name);
        expect(value, name).toBe("");
      }
      expect(Object.keys(template.stringData)).toEqual(
        expect.arrayContaining(["DATABASE_URL", "REDIS_URL", "ENCRYPTION_KEY"]),
      );
    });

    it("serves HTTPS through the Ingress, for the host PUBLIC_URL names", () => {
      const ingress = only(manifests, "Ingress").spec;
      const host = new URL(only(manifests, "ConfigMap").data.PUBLIC_URL).host;
      expect(ingress.tls).toEqual([{ hosts: [host], secretName: "officellm-tls" }]);
      expect(ingress.rules[0].host).toBe(host);
      const service = only(manifests, "Service");
      expect(ingress.rules[0].http.paths[0].backend.service.name).toBe(service.metadata.name);
    });

    it("routes the Service, the budget and the autoscaler to the Deployment's pods", () => {
      const deployment = only(manifests, "Deployment");
      const podLabels = deployment.spec.template.metadata.labels;
      const selects = (selector: Record<string, string>) =>
        Object.entries(selector).every(([key, value]) => podLabels[key] === value);
      expect(selects(only(manifests, "Service").spec.selector)).toBe(true);
      const pdb = only(manifests, "PodDisruptionBudget").spec;
      expect(selects(pdb.selector.matchLabels)).toBe(true);
      const hpa = only(manifests, "HorizontalPodAutoscaler").spec;
      expect(hpa.scaleTargetRef).toMatchObject({
        kind: "Deployment",
        name: deployment.metadata.name,
      });
      expect(hpa.minReplicas).toBeGreaterThanOrEqual(2);
      // The budget leaves one pod to evict even at the autoscaler's minimum.
      expect(pdb.minAvailable).toBeLessThan(hpa.minReplicas);
      // The backup job's pods are not the server's.
      const backupLabels = only(manifests, "CronJob").spec.jobTemplate.spec.template.metadata
        .labels;
      expect(
        Object.entries(deployment.spec.selector.matchLabels).every(
          ([k, v]) => backupLabels[k] === v,
        ),
      ).toBe(false);
    });

    it("dumps PostgreSQL every night to a volume, restricted too", () => {
      const cronJob = only(manifests, "CronJob").spec;
      expect(cronJob.concurrencyPolicy).toBe("Forbid");
      const job = cronJob.jobTemplate.spec.template.spec;
      const dump = job.containers[0];
      expect(dump.image).toMatch(/^postgres:\d+/);
      expect(dump.args.join("\n")).toMatch(/pg_dump --format=custom/);
      expect(dump.env[0].valueFrom.secretKeyRef).toEqual({
        name: "officellm",
        key: "DATABASE_URL",
      });
      expect(job.securityContext.runAsNonRoot).toBe(true);
      expect(dump.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
      });
      const claim = job.volumes.find((v: any) => v.persistentVolumeClaim).persistentVolumeClaim;
      expect(claim.claimName).toBe(only(manifests, "PersistentVolumeClaim").metadata.name);
    });
  });
}

describe("the example overlay", () => {
  it("puts everything in its namespace, with its image and its domain", async () => {
    const manifests = await render("deploy/kubernetes/overlays/example");
    const namespace = only(manifests, "Namespace");
    expect(namespace.metadata.labels!["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    for (const manifest of manifests.filter((m) => m.kind !== "Namespace")) {
      expect(manifest.metadata.namespace, manifest.kind).toBe(namespace.metadata.name);
    }
    const container = only(manifests, "Deployment").spec.template.spec.containers[0];
    expect(container.image).toBe("registry.example.org/officellm:0.1.0");
    expect(only(manifests, "ConfigMap").data.PUBLIC_URL).toBe("https://officellm.example.org");
  });
});
