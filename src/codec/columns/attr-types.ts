// Attribute values as every signal stores them (logs, spans): JSON-like (OTel AnyValue without
// bytes). The record and column codecs in this folder encode exactly these.

export type AttrValue = string | number | boolean | null | AttrValue[] | { [key: string]: AttrValue };
export type Attributes = Record<string, AttrValue>;
