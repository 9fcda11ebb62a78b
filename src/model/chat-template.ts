// A model's own Jinja chat template (tokenizer_config.json's chat_template), rendered with @huggingface/jinja —
// the same engine transformers.js uses, following transformers' apply_chat_template variables.
//
// Untrusted message contents must not turn into special tokens (a problem statement containing "<|im_end|>" would
// otherwise end the turn). So the template is rendered with a placeholder per message; when substituting the real
// contents back gives exactly the normal rendering, the text between placeholders is template text (special tokens
// recognised) and each content is encoded on its own (specials spelled out). Templates that transform a content
// (trim it, split reasoning off) fail that check; then each content (or its trimmed form) is looked up, in order,
// in the real rendering, and any remainder is template text (a content the template rewrote beyond trimming is
// then tokenized as template text).
import { Template } from "@huggingface/jinja";
import type { ChatMessage } from "./types.js";

export interface TemplateVars {
  bos_token: string;
  eos_token: string;
  add_generation_prompt: boolean;
}

/** A rendered chat cut into template text and message contents (message = index into the messages). */
export interface ChatSegment {
  text: string;
  message?: number;
}

const MAX_TEMPLATE_CHARS = 1024 * 1024;

/** The template text from tokenizer_config.json: a string, or a list of named templates ("default" is used). */
export function chatTemplateOf(config: Record<string, unknown> | undefined): string | undefined {
  const t = config?.chat_template;
  if (typeof t === "string") return t;
  if (Array.isArray(t)) {
    const named = t as { name?: unknown; template?: unknown }[];
    const d = named.find((x) => x?.name === "default") ?? named[0];
    return typeof d?.template === "string" ? d.template : undefined;
  }
  return undefined;
}

export class ChatTemplate {
  private readonly template: Template;

  constructor(readonly source: string, where = "chat_template") {
    if (source.length > MAX_TEMPLATE_CHARS) throw new Error(`${where}: the chat template exceeds ${MAX_TEMPLATE_CHARS} characters`);
    try {
      this.template = new Template(source);
    } catch (e) {
      throw new Error(`${where}: the chat template does not parse (${(e as Error).message})`);
    }
  }

  render(messages: ChatMessage[], vars: TemplateVars): string {
    try {
      return this.template.render({
        messages: messages.map((m) => ({ role: m.role, content: m.content })),
        ...vars,
        // What HF templates commonly test for; a text model here has no tools or documents.
        tools: null, documents: null, date_string: "26 Jul 2024",
      });
    } catch (e) {
      throw new Error(`the chat template failed: ${(e as Error).message}`);
    }
  }

  /** The rendering cut into template text and message contents (see the header). */
  segments(messages: ChatMessage[], vars: TemplateVars): ChatSegment[] {
    const full = this.render(messages, vars);
    const marks = messages.map((_, i) => `\u0000trimer-msg-${i}-${Math.random().toString(36).slice(2)}\u0000`);
    let withMarks: string | null = null;
    try {
      withMarks = this.render(messages.map((m, i) => ({ role: m.role, content: marks[i]! })), vars);
    } catch {
      withMarks = null; // a template that inspects contents may reject placeholders
    }
    if (withMarks !== null) {
      const out: ChatSegment[] = [];
      let rest = withMarks;
      let ok = true;
      let rebuilt = "";
      for (;;) {
        let at = -1, which = -1;
        marks.forEach((mk, i) => {
          const k = rest.indexOf(mk);
          if (k >= 0 && (at < 0 || k < at)) { at = k; which = i; }
        });
        if (at < 0) break;
        if (at > 0) out.push({ text: rest.slice(0, at) });
        out.push({ text: messages[which]!.content, message: which });
        rebuilt += rest.slice(0, at) + messages[which]!.content;
        rest = rest.slice(at + marks[which]!.length);
      }
      if (rest) out.push({ text: rest });
      rebuilt += rest;
      if (rebuilt !== full) ok = false;
      if (ok) return out;
    }
    // Fallback: find each content in the real rendering, in order.
    const out: ChatSegment[] = [];
    let from = 0;
    messages.forEach((m, i) => {
      // Templates commonly trim contents (Llama 3's does).
      for (const text of [m.content, m.content.trim()]) {
        if (!text) return;
        const k = full.indexOf(text, from);
        if (k < 0) continue;
        if (k > from) out.push({ text: full.slice(from, k) });
        out.push({ text, message: i });
        from = k + text.length;
        return;
      }
    });
    if (from < full.length) out.push({ text: full.slice(from) });
    return out;
  }
}
