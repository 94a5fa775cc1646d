/** One stage of a Dockerfile: its FROM line and its instructions (continuations joined). */
export interface DockerStage {
  name: string;
  from: string;
  instructions: Array<{ keyword: string; args: string }>;
}

/** A static reading of a Dockerfile, enough for the checks (no Docker engine here). */
export function parseDockerfile(text: string): {
  args: Record<string, string>;
  stages: DockerStage[];
} {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: DockerStage[] = [];

  for (const line of lines) {
    const [, keyword, rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const upper = keyword.toUpperCase();
    if (upper === 'FROM') {
      const [, image, name] = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(rest) ?? [];
      stages.push({ name: name ?? String(stages.length), from: image, instructions: [] });
    } else if (upper === 'ARG' && stages.length === 0) {
      const [name, value = ''] = rest.split('=');
      args[name] = value;
    } else {
      stages.at(-1)?.instructions.push({ keyword: upper, args: rest.replace(/\s+/g, ' ') });
    }
  }

  return { args, stages };
}

/** A stage and the stages it is built FROM, nearest first. */
export function stageLineage(stages: DockerStage[], name: string): DockerStage[] {
  const stage = stages.find((candidate) => candidate.name === name);
  if (!stage) return [];

  return [stage, ...stageLineage(stages, stage.from)];
}
