// Kafka's message definitions are JSON with `//` line comments (the license header and
// notes between fields). Comments are removed by a tiny scanner that tracks string
// literals, because values such as "about" texts may legitimately contain "//".

import * as fs from "node:fs";

export function stripLineComments(text: string): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === "\\") out += text[++i] ?? "";
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else {
      out += c;
    }
  }
  return out;
}

export function readCommentedJson(file: string): unknown {
  const text = fs.readFileSync(file, "utf8");
  try {
    return JSON.parse(stripLineComments(text));
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
}
