// TextEncoder and TextDecoder exist in every runtime the core runs in (browsers, workers, Node) but are not part of
// the ES library; declaring just these keeps the core free of DOM and Node types.
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string);
  decode(input?: Uint8Array): string;
}
// structuredClone, likewise (the memory fakes copy stored data with it, as IndexedDB does).
declare function structuredClone<T>(value: T): T;
