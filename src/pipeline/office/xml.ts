/**
 * The XML of OOXML parts, streamed through saxes: elements by local name (prefixes vary between
 * producers), decoded character data and CDATA.
 *
 * saxes has no DTD processor: a DOCTYPE is skipped, its entity declarations are never defined, and
 * nothing is ever fetched. So an entity bomb (billion laughs) and an XXE are inert: a reference to an
 * entity that is not one of XML's five is an error of the part that saxes reports and leaves in the
 * text as written (`&lol9;`), exactly as the earlier regex walker did. Well-formedness errors are
 * not fatal (Office files are read leniently, as before); only what would cost memory out of
 * proportion to the bytes is refused: elements nested deeper than MAX_DEPTH or carrying more than
 * MAX_ATTRIBUTES attributes (saxes keeps one object per open element and per attribute) ⇒
 * `OFFICE_TOO_LARGE`.
 */
import { SaxesParser } from 'saxes';
import { permanent } from '../../core/errors.ts';

/** Real documents nest a few dozen levels (tables in tables: a few hundred). */
export const MAX_DEPTH = 10_000;
/** Real elements carry a handful of attributes. */
export const MAX_ATTRIBUTES = 10_000;
/** Text is handed over in pieces of about this many characters (see #flushLongText). */
export const TEXT_PIECE_CHARS = 1 << 20;

/** saxes's own state, read to hand a long text node over in pieces (saxes 6: S_TEXT = 13). */
interface SaxesInternals {
  text?: unknown;
  state?: unknown;
  tags?: unknown;
}
const S_TEXT = 13;

export type Attributes = Readonly<Record<string, string>>;

export interface XmlHandlers {
  /** A self-closing element gets no close(). */
  open?(localName: string, selfClosing: boolean, attrs: Attributes): void;
  close?(localName: string): void;
  text?(value: string): void;
}

const localName = (qname: string) => qname.slice(qname.indexOf(':') + 1);

/** One part's XML, written in pieces as it inflates. */
export class XmlStream {
  readonly #parser = new SaxesParser({ xmlns: false, position: false });
  readonly #part: string;
  #depth = 0;
  #attributes = 0;
  /** Well-formedness errors saxes reported (undefined entities among them); not fatal. */
  errors = 0;
  readonly #text: ((value: string) => void) | undefined;

  constructor(part: string, h: XmlHandlers) {
    this.#part = part;
    const p = this.#parser;
    p.on('error', () => {
      this.errors++;
    });
    p.on('opentagstart', () => {
      this.#attributes = 0;
      if (++this.#depth > MAX_DEPTH) throw this.#tooLarge(`nests elements deeper than ${MAX_DEPTH}`);
    });
    p.on('attribute', () => {
      if (++this.#attributes > MAX_ATTRIBUTES) throw this.#tooLarge(`has an element with more than ${MAX_ATTRIBUTES} attributes`);
    });
    p.on('opentag', (tag) => {
      if (tag.isSelfClosing) this.#depth--;
      h.open?.(localName(tag.name), tag.isSelfClosing, tag.attributes);
    });
    p.on('closetag', (tag) => {
      if (tag.isSelfClosing) return;
      this.#depth--;
      h.close?.(localName(tag.name));
    });
    this.#text = h.text;
    if (h.text) {
      const text = h.text;
      p.on('text', (value) => text(value));
      p.on('cdata', (value) => text(value));
    }
  }

  write(chunk: string): void {
    if (chunk === '') return;
    this.#parser.write(chunk);
    this.#flushLongText();
  }

  /**
   * saxes hands a text node over only when it ends, so a part that is one huge text node (a lying
   * zip bomb's 100 MiB of "AAAA…") would sit in its buffer whole. Between writes, text it has
   * gathered inside the root element is handed over in pieces instead; the handlers append pieces,
   * so the text is the same. Only saxes's text state is touched (checked to exist: with another
   * saxes, nothing is flushed early).
   */
  #flushLongText(): void {
    const p = this.#parser as unknown as SaxesInternals;
    if (this.#text === undefined || p.state !== S_TEXT || !Array.isArray(p.tags) || p.tags.length === 0) return;
    if (typeof p.text !== 'string' || p.text.length < TEXT_PIECE_CHARS) return;
    const piece = p.text;
    p.text = '';
    this.#text(piece);
  }

  end(): void {
    this.#parser.close();
  }

  #tooLarge(what: string) {
    return permanent('OFFICE_TOO_LARGE', `Office part ${this.#part} ${what}`, undefined, { part: this.#part });
  }
}

/** A whole XML string through the handlers. */
export function walkXml(xml: string, h: XmlHandlers, part = '(xml)'): void {
  const stream = new XmlStream(part, h);
  stream.write(xml);
  stream.end();
}

/** An attribute's value by its qualified name. */
export function attr(attrs: Attributes, name: string): string | undefined {
  return Object.hasOwn(attrs, name) ? attrs[name] : undefined;
}

/** An attribute by local name whatever its prefix (`r:id` written with another prefix). */
export function attrByLocal(attrs: Attributes, local: string): string | null {
  for (const name of Object.keys(attrs)) {
    const colon = name.indexOf(':');
    if (colon > 0 && name.slice(colon + 1) === local) return attrs[name] ?? null;
  }
  return null;
}
