// A minimal indented-text builder for the emitters.

export class Code {
  private lines: string[] = [];
  private depth = 0;

  line(text = ""): this {
    this.lines.push(text === "" ? "" : "  ".repeat(this.depth) + text);
    return this;
  }

  lines_(texts: string[]): this {
    for (const t of texts) this.line(t);
    return this;
  }

  /** `header {` ... `}` with the body indented; `header` "" gives a bare block. */
  block(header: string, body: () => void, closer = "}"): this {
    this.line(header === "" ? "{" : `${header} {`);
    this.depth++;
    body();
    this.depth--;
    this.line(closer);
    return this;
  }

  /**
   * `if (cond) { body }`, collapsing constant conditions: "true" emits the body
   * unconditionally (in a block, to keep its locals scoped), "false" emits nothing.
   */
  when(cond: string, body: () => void, otherwise?: () => void): this {
    if (cond === "true") {
      this.scoped(body);
    } else if (cond === "false") {
      if (otherwise) this.scoped(otherwise);
    } else if (otherwise) {
      this.line(`if (${cond}) {`);
      this.depth++;
      body();
      this.depth--;
      this.line(`} else {`);
      this.depth++;
      otherwise();
      this.depth--;
      this.line(`}`);
    } else {
      this.block(`if (${cond})`, body);
    }
    return this;
  }

  /** Emits `body` one level deeper, without braces (the caller writes them). */
  indented(body: () => void): this {
    this.depth++;
    body();
    this.depth--;
    return this;
  }

  /**
   * Emits `body` inline, wrapped in a bare `{ }` only when it declares locals at its
   * top level (so that sibling fields can reuse names such as `items`).
   */
  scoped(body: () => void): this {
    const start = this.lines.length;
    this.depth++;
    body();
    this.depth--;
    const inner = "  ".repeat(this.depth + 1);
    const emitted = this.lines.slice(start);
    const declares = emitted.some((l) => l.startsWith(inner + "const ") || l.startsWith(inner + "let "));
    if (declares) {
      this.lines.splice(start, 0, "  ".repeat(this.depth) + "{");
      this.line("}");
    } else {
      for (let i = start; i < this.lines.length; i++) {
        if (this.lines[i] !== "") this.lines[i] = this.lines[i].slice(2);
      }
    }
    return this;
  }

  toString(): string {
    return this.lines.join("\n") + "\n";
  }
}

/** `a && b` with constant folding of "true"/"false". */
export function and(a: string, b: string): string {
  if (a === "false" || b === "false") return "false";
  if (a === "true") return b;
  if (b === "true") return a;
  return `${paren(a)} && ${paren(b)}`;
}

export function not(a: string): string {
  if (a === "true") return "false";
  if (a === "false") return "true";
  return `!${paren(a)}`;
}

function paren(s: string): string {
  return /^[\w.!()\[\]]+$/.test(s) && !s.includes("&&") ? s : `(${s})`;
}
