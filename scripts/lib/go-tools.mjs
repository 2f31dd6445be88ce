// Where the pinned Go tools of scripts/install-go-tools.sh live, for the OCI-image and
// Istio-manifest checks. A missing tool is an error naming it and the installer, never a skip.
import fs from "node:fs";
import path from "node:path";
import { root } from "./envoy.mjs";

const INSTALLER = "scripts/install-go-tools.sh";

/** The pinned versions, read from the installer (its one source). */
export function goToolVersions() {
  const text = fs.readFileSync(path.join(root, INSTALLER), "utf8");
  const pin = (name) => new RegExp(`^${name}="[^"@]+@(v[^"]+)"`, "m").exec(text)?.[1];
  return { oras: pin("ORAS"), registry: pin("REGISTRY"), kubeconform: pin("KUBECONFORM"), istioApi: pin("ISTIO_API") };
}

/** The absolute path of `.deps/bin/<name>`; throws naming the tool and the installer when it is missing. */
export function goTool(name) {
  const file = path.join(root, ".deps/bin", name);
  try {
    fs.accessSync(file, fs.constants.X_OK);
  } catch {
    throw new Error(`${name} is not installed (${file}): run \`bash ${INSTALLER}\` (npm test's pretest, scripts/setup.sh --for-tests, does)`);
  }
  return file;
}

/** The directory of Istio's CRDs converted to JSON schemas ({kind}-{group}-{version}.json); throws when absent. */
export function istioSchemaDir() {
  const dir = path.join(root, ".deps/istio-schemas", goToolVersions().istioApi);
  if (!fs.existsSync(path.join(dir, ".complete"))) {
    throw new Error(`Istio's CRD schemas are missing (${dir}): run \`bash ${INSTALLER}\``);
  }
  return dir;
}
