// Vite's `?raw` imports (fixture text in renderer tests, which may not import node:fs).
declare module '*.json?raw' {
  const text: string;
  export default text;
}
interface ImportMeta {
  glob(pattern: string, options: { query: '?raw'; import: 'default'; eager: true }): Record<string, unknown>;
}
