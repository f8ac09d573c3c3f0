// What a front-end developer writes against the types openapi-typescript makes of each document.
// `tsc --noEmit --strict` must accept it: an `unknown` or `Record<string, never>` where a field
// is documented would make these lines type errors (tests/clients/test_generated_clients.py).
import type { components as Vendor } from "./generated/vendor";
import type { components as Fake } from "./generated/fake";

type Message = Vendor["schemas"]["message"];

export function parentId(message: Message): number | null {
  const parent = message.parent;
  if (parent === null) return null;
  return typeof parent === "number" ? parent : parent.id;
}

export function avatarUrl(message: Message): unknown {
  return message.author.avatar?.["url"];
}

// Open objects take any key: with Record<string, never> these assignments are type errors.
export const avatar: Message["author"]["avatar"] = { url: "https://example.test/a.png" };
export const reaction: Message["reactions"][number] = { emoji: "+1", count: 2 };
export const versions: Message["files"][number]["versions"] = { thumb: { width: 64 } };

export function firstReaction(message: Message): Record<string, unknown> | undefined {
  return message.reactions[0];
}

export function versionNames(message: Message): string[] {
  return message.files.flatMap((file) => Object.keys(file.versions ?? {}));
}

export function voiceSeconds(message: Message): number | null {
  return message.voice === null ? null : (message.voice.duration ?? null);
}

type Faults = Fake["schemas"]["faults"];

export const failOnce: Faults = { failures: [{ route: "createMessage", status: 503, count: 1 }] };

export function firstCount(faults: Faults): number | undefined {
  return faults.failures?.[0]?.count;
}

export function summaryText(message: Fake["schemas"]["message"]): string | undefined {
  const parent = message.parent;
  return parent !== null && typeof parent === "object" ? parent.message : undefined;
}

export const release: Fake["schemas"]["clock"] = { real: true };
