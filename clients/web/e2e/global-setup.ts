import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { access, appendFile, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CHROMIUM } from "../playwright.config";
import { SYSTEM_ENV, type SystemInfo, type User } from "./system";

const here = dirname(fileURLToPath(import.meta.url));
const WEB = resolve(here, "..");
const REPO = resolve(WEB, "../..");
// What `opendso run` prints once the demo data is loaded and every URL is known.
const READY = "Press Ctrl-C to stop.";
// A cold start compiles every service's modules; a loaded two-core machine has taken 90 s for that.
const START_TIMEOUT_MS = Number(process.env.OPENDSO_E2E_START_TIMEOUT_MS ?? 240_000);

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  if (address === null || typeof address === "string") throw new Error("e2e setup: no free TCP port found");
  return address.port;
}

async function mustExist(path: string, hint: string): Promise<void> {
  try {
    await access(path);
  } catch {
    throw new Error(`e2e setup: ${path} is missing: ${hint}`);
  }
}

/** The users `opendso run` prints, one a line: "collector   collector@opendso.local / demo-collector-4821 ...". */
function parseUsers(output: string): Record<string, User> {
  const users: Record<string, User> = {};
  for (const line of output.split("\n")) {
    const match = /^(\w+)\s+(\S+@\S+) \/ (\S+)/.exec(line);
    if (match) users[match[1]!] = { role: match[1]!, email: match[2]!, password: match[3]! };
  }
  return users;
}

/** Stops `opendso run` as Ctrl-C would (it stops every service and NATS), then anything of its group left over. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill("SIGTERM");
    const exited = once(child, "exit");
    const late = new Promise((done) => setTimeout(done, 30_000, "late"));
    if ((await Promise.race([exited, late])) === "late")
      console.warn("e2e teardown: the system took over 30 s to stop");
  }
  try {
    // detached: the child leads its own process group, so this reaches only what it started.
    process.kill(-child.pid!, "SIGKILL");
  } catch {
    // ESRCH: the whole group has already exited.
  }
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  await mustExist(CHROMIUM, "install Debian's chromium (apt-get install -y chromium) or set OPENDSO_E2E_CHROMIUM");
  await mustExist(join(WEB, "dist", "index.html"), "build the web client first (npm run build, or make web)");

  const started = Date.now();
  const varDir = await mkdtemp(join(tmpdir(), "opendso-e2e-"));
  const port = await freePort();
  const log = join(varDir, "run.log");
  const python = process.env.PYTHON ?? "python3";
  const args = ["-m", "uv", "run", "--frozen", "opendso", "run", "--var", varDir, "--port", String(port)];
  args.push("--demo-customers", process.env.OPENDSO_E2E_DEMO_CUSTOMERS ?? "0");
  // Without .pyc files every service compiles its imports at each start: several times slower on two cores.
  const env = { ...process.env };
  delete env.PYTHONDONTWRITEBYTECODE;
  const child = spawn(python, args, { cwd: REPO, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });

  let output = "";
  const ready = new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`e2e setup: the system was not ready within ${START_TIMEOUT_MS / 1000} s; see ${log}`)),
      START_TIMEOUT_MS,
    );
    const read = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      output += text;
      void appendFile(log, text);
      if (output.includes(READY)) {
        clearTimeout(timer);
        resolveReady();
      }
    };
    child.stdout!.on("data", read);
    child.stderr!.on("data", read);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(
          `e2e setup: \`opendso run\` exited (${code ?? signal}) before it was ready; logs in ${varDir}/log/\n` +
            output.slice(-3000),
        ),
      );
    });
  });

  const teardown = async () => {
    await stop(child);
    if (process.env.OPENDSO_E2E_KEEP) console.log(`e2e: the system's folder is kept: ${varDir}`);
    else await rm(varDir, { recursive: true, force: true });
  };

  try {
    await ready;
  } catch (failure) {
    await stop(child);
    throw failure;
  }
  const users = parseUsers(output);
  for (const role of ["admin", "collector"]) {
    if (!users[role]) {
      await teardown();
      throw new Error(`e2e setup: \`opendso run\` printed no ${role} user:\n${output}`);
    }
  }
  console.log(`e2e: the system is up at http://127.0.0.1:${port} after ${Math.round((Date.now() - started) / 1000)} s`);
  const info: SystemInfo = { baseUrl: `http://127.0.0.1:${port}`, varDir, users };
  // Workers start after the global setup and inherit its environment.
  process.env[SYSTEM_ENV] = JSON.stringify(info);
  return teardown;
}
