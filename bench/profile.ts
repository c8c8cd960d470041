/**
 * Reading V8 CPU profiles (`node --cpu-prof`, or the same profiler through `node:inspector`): self
 * time by component and by function, mapped back through the bundle's source map to the package
 * and source line that the minified code came from.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { SourceMap } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageOf, REPO_ROOT } from './bundles.ts';

/** The sampling interval of every profile the benchmark takes (V8's default is 1 ms). */
export const PROFILE_INTERVAL = '--cpu-prof-interval=250';

/** The parts of a `.cpuprofile` this module reads. */
export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    /** The nodes this one called. */
    readonly children?: readonly number[];
    /** Samples per source line of this function (1-based lines). */
    readonly positionTicks?: readonly { readonly line: number; readonly ticks: number }[];
    readonly callFrame: {
      readonly functionName: string;
      readonly url: string;
      readonly lineNumber: number;
      readonly columnNumber: number;
    };
  }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  /** When profiling began, in µs on the monotonic clock. */
  readonly startTime: number;
}

/** A profile, and the part of it to read (µs on the profiler's clock); all of it when unset. */
export interface ProfileWindow {
  readonly profile: CpuProfile;
  readonly windowUs?: readonly [number, number];
}

/** Self time of one component or function. */
export interface ProfileEntry {
  readonly name: string;
  /** Where it is, for functions: `package/path/file.js:line`. */
  readonly location?: string;
  readonly ms: number;
  /** Share of the busy (non-idle) time, in percent. */
  readonly percent: number;
}

/** What a profile shows. */
export interface ProfileSummary {
  /** Sampled time that was not idle. */
  readonly busyMs: number;
  /** Self time by component (AWS SDK, Powertools, middy, …). */
  readonly components: ProfileEntry[];
  /** Self time by npm package (or source folder). */
  readonly packages: ProfileEntry[];
  /** The functions with the most self time. */
  readonly functions: ProfileEntry[];
}

/** A bundle whose frames are mapped back to sources. */
export interface MappedBundle {
  readonly path: string;
}

/** dynalite and everything it depends on, as installed. */
const ENGINE_PACKAGES: ReadonlySet<string> = (() => {
  const found = new Set<string>();
  const visit = (name: string) => {
    if (found.has(name)) return;
    found.add(name);
    try {
      const pkg = JSON.parse(
        readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8'),
      );
      for (const dependency of Object.keys(pkg.dependencies ?? {})) visit(dependency);
    } catch {
      // Not installed at the top level: nothing more to follow.
    }
  };
  visit('dynalite');
  return found;
})();

/** The component a package belongs to, for the summary table. */
export function componentOf(pkg: string): string {
  if (pkg.startsWith('@aws-sdk/') || pkg.startsWith('@smithy/') || pkg.startsWith('@aws/')) {
    return 'AWS SDK (@aws-sdk, @smithy)';
  }
  if (pkg.startsWith('@aws-lambda-powertools/')) return 'Powertools (logger, parameters)';
  if (pkg.startsWith('@middy/')) return 'middy';
  if (ENGINE_PACKAGES.has(pkg)) return 'local engine (dynalite, LevelDB)';
  if (pkg === 'local') return 'local server (local/*.ts)';
  if (pkg === 'lambda') return 'receiver code (lambda/*.ts)';
  if (pkg === 'bench') return 'baseline / benchmark harness';
  if (pkg.startsWith('node:')) return 'Node.js core (http, streams, crypto, …)';
  return pkg;
}

/** Loads the source maps of the bundles, keyed by the URL V8 reports for them. */
export async function loadSourceMaps(bundles: readonly string[]): Promise<Map<string, SourceMap>> {
  const maps = new Map<string, SourceMap>();
  for (const path of bundles) {
    const payload = JSON.parse(await readFile(`${path}.map`, 'utf8'));
    maps.set(pathToFileURL(path).href, new SourceMap(payload));
  }
  return maps;
}

/** Special V8 frames, by what they mean. */
const V8_FRAMES: Readonly<Record<string, string>> = {
  '(garbage collector)': 'V8 garbage collector',
  '(program)': 'V8 and native code (compiling, parsing, runtime)',
  '(idle)': '(idle)',
  '(root)': '(root)',
};

/** Where a frame's code comes from. */
interface Origin {
  readonly pkg: string;
  readonly name: string;
  readonly location: string;
}

/** A source path from a map, from `node_modules/` or the repository's own folder on. */
function readableSource(source: string): string {
  const fromModules = source.indexOf('node_modules/');
  if (fromModules >= 0) return source.slice(fromModules);
  return source.replace(/^.*?\/?(lambda|bench|local)\//, '$1/');
}

/** esbuild's own helpers at the top of a bundle (lazy module init, CommonJS interop). */
const ESBUILD_HELPERS = 'esbuild helpers';

/** Node's special parts worth naming apart from the rest of its core. */
const NODE_PARTS = {
  compile: 'V8 compiling the bundle (ESM)',
  sourceMaps: 'Node: source maps (--enable-source-maps)',
  undici: 'Node: undici (loaded by importing node:http from ESM)',
  builtins: 'Node: loading its built-in modules',
} as const;

/** Which part of Node's core a frame is in: a named part, or `node:<module>`. */
function nodeCorePart(frame: CpuProfile['nodes'][number]['callFrame']): string {
  if (frame.functionName === 'compileSourceTextModule') return NODE_PARTS.compile;
  if (frame.url.includes('source_map')) return NODE_PARTS.sourceMaps;
  if (frame.url.includes('deps/undici')) return NODE_PARTS.undici;
  if (frame.url.startsWith('node:internal/bootstrap/')) return NODE_PARTS.builtins;
  const module = frame.url.replace(/^node:(internal\/)?/, '').replace(/\/.*$/, '');
  return `node:${module}`;
}

/** Maps a frame to its package, original name and source line. */
function originOf(
  frame: CpuProfile['nodes'][number]['callFrame'],
  maps: ReadonlyMap<string, SourceMap>,
): Origin {
  const special = V8_FRAMES[frame.functionName];
  if (special && frame.url === '') return { pkg: special, name: special, location: '' };
  const name = frame.functionName || '(anonymous)';
  const map = maps.get(frame.url);
  if (map) {
    const entry = map.findEntry(frame.lineNumber, frame.columnNumber) as {
      originalSource?: string;
      originalLine?: number;
      name?: string;
    };
    if (entry.originalSource) {
      const source = readableSource(entry.originalSource);
      return {
        pkg: packageOf(source),
        name: entry.name ?? name,
        location: `${source.replace(/^.*node_modules\//, '')}:${(entry.originalLine ?? 0) + 1}`,
      };
    }
    return { pkg: ESBUILD_HELPERS, name, location: 'bundle' };
  }
  if (frame.url.startsWith('node:')) {
    return { pkg: nodeCorePart(frame), name, location: `${frame.url}:${frame.lineNumber + 1}` };
  }
  if (frame.url === '') return { pkg: 'native (V8 builtins, bindings)', name, location: '' };
  const local = frame.url.replace(/^file:\/\/.*?\/(bench|lambda|local)\//, '$1/');
  return { pkg: packageOf(local), name, location: `${local}:${frame.lineNumber + 1}` };
}

/**
 * Where a node's self time goes. A function of a bundle built with line breaks is split by the
 * lines its samples fell on, so a bundle's top-level code (every ES module's body, inlined by
 * esbuild) is charged to the package each line came from.
 */
function attribute(
  node: CpuProfile['nodes'][number],
  maps: ReadonlyMap<string, SourceMap>,
  byId: ReadonlyMap<number, CpuProfile['nodes'][number]>,
): [Origin, number][] {
  const own = originOf(node.callFrame, maps);
  if (own.pkg === ESBUILD_HELPERS) {
    // esbuild's lazy-init wrapper: its self time is V8 compiling the module it is about to run.
    const callees = (node.children ?? []).map((id) => byId.get(id)).filter((c) => c !== undefined);
    const callee = callees.length === 1 ? callees[0] : undefined;
    if (callee) {
      const origin = originOf(callee.callFrame, maps);
      if (origin.pkg !== ESBUILD_HELPERS) {
        return [[{ ...origin, name: `(compiling) ${origin.name}` }, 1]];
      }
    }
  }
  const map = maps.get(node.callFrame.url);
  const ticks = node.positionTicks ?? [];
  const total = ticks.reduce((sum, t) => sum + t.ticks, 0);
  if (!map || total === 0 || new Set(ticks.map((t) => t.line)).size < 2) return [[own, 1]];
  const name = node.callFrame.functionName || '(top level)';
  return ticks.map(({ line, ticks: count }) => {
    // The last mapping on the line (or before it) names the source.
    const origin = originOf({ ...node.callFrame, lineNumber: line - 1, columnNumber: 1e9 }, maps);
    const file = origin.location.replace(/:\d+$/, '');
    return [{ ...origin, name: `${name}: ${origin.pkg}`, location: file }, count / total];
  });
}

/** Sorted entries with shares of `busyMs`. */
function entries(totals: Map<string, { ms: number; location?: string }>, busyMs: number) {
  return [...totals]
    .map(([name, { ms, location }]) => ({
      name,
      ...(location ? { location } : {}),
      ms,
      percent: (ms / busyMs) * 100,
    }))
    .sort((a, b) => b.ms - a.ms);
}

/** Adds `ms` to `key` in `totals`. */
function add(
  totals: Map<string, { ms: number; location?: string }>,
  key: string,
  ms: number,
  location?: string,
) {
  const entry = totals.get(key) ?? { ms: 0, ...(location ? { location } : {}) };
  entry.ms += ms;
  totals.set(key, entry);
}

/** Self time by component, package and function, summed over `profiles`. */
export function summarizeProfiles(
  profiles: readonly ProfileWindow[],
  maps: ReadonlyMap<string, SourceMap>,
  topFunctions = 15,
): ProfileSummary {
  const components = new Map<string, { ms: number }>();
  const packages = new Map<string, { ms: number }>();
  const functions = new Map<string, { ms: number; location?: string }>();
  let busyMs = 0;
  for (const { profile, windowUs } of profiles) {
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const [from, to] = windowUs ?? [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
    const selfMs = new Map<number, number>();
    let at = profile.startTime;
    profile.samples.forEach((id, i) => {
      at += profile.timeDeltas[i] ?? 0;
      if (at < from || at > to) return;
      const ms = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000;
      selfMs.set(id, (selfMs.get(id) ?? 0) + ms);
    });
    for (const node of profile.nodes) {
      const ms = selfMs.get(node.id);
      if (!ms) continue;
      for (const [origin, share] of attribute(node, maps, byId)) {
        if (origin.pkg === '(idle)' || origin.pkg === '(root)') continue;
        busyMs += ms * share;
        add(components, componentOf(origin.pkg), ms * share);
        add(packages, origin.pkg, ms * share);
        add(functions, `${origin.name} ${origin.location}`, ms * share, origin.location);
      }
    }
  }
  const runs = profiles.length || 1;
  const perRun = (list: ProfileEntry[]) => list.map((e) => ({ ...e, ms: e.ms / runs }));
  return {
    busyMs: busyMs / runs,
    components: perRun(entries(components, busyMs)),
    packages: perRun(entries(packages, busyMs)),
    functions: perRun(
      entries(functions, busyMs)
        .slice(0, topFunctions)
        .map((e) => ({ ...e, name: e.name.slice(0, e.name.lastIndexOf(' ')) })),
    ),
  };
}
