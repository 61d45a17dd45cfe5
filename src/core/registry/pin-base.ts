import { parseDocument } from "yaml";
import { RegistrySchema } from "../schemas/registry.ts";
import { editYamlText, type YamlEdit } from "./yaml-edit.ts";

/** What `loragate pin-base` measured: the GGUF the runners evaluate on and the files the trainer loads. */
export interface BasePins {
  /** quantization: what the file is (its GGUF file type), never left as the template's guess. */
  inference: { file: string; sha256: string; quantization?: string };
  /** Path inside the base's folder -> sha256. */
  trainingFiles: Record<string, string>;
  /** The base repository's commit, when the maintainer names it. */
  revision?: string;
}

/**
 * registry.yaml with the base pinned (base.inference.file and sha256, base.training.files, and
 * base.training.revision when given); every other byte as it was. Throws when the result would not be a
 * registry the app accepts.
 */
export function pinBase(registryText: string, pins: BasePins): string {
  const edits: YamlEdit[] = [
    { path: ["base", "inference", "file"], value: pins.inference.file },
    { path: ["base", "inference", "sha256"], value: pins.inference.sha256 },
    ...(pins.inference.quantization
      ? [{ path: ["base", "inference", "quantization"], value: pins.inference.quantization }]
      : []),
    ...(pins.revision ? [{ path: ["base", "training", "revision"], value: pins.revision }] : []),
    { path: ["base", "training", "files"], value: sortedByPath(pins.trainingFiles) },
  ];
  const text = editYamlText(registryText, edits);
  const checked = RegistrySchema.safeParse(parseDocument(text).toJS());
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    // A file name the schema refuses is reported as a bad record key: name the file and the rule instead.
    const detail =
      issue.code === "invalid_key"
        ? `${JSON.stringify(issue.path.at(-1))} ${issue.issues[0]?.message ?? issue.message}`
        : issue.message;
    throw new Error(
      `the pinned registry.yaml would be invalid: ${issue.path.slice(0, issue.code === "invalid_key" ? -1 : undefined).join(".")}: ${detail}`,
    );
  }
  return text;
}

const sortedByPath = (files: Record<string, string>) =>
  Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
