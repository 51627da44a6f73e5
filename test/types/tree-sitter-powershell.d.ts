declare module 'tree-sitter-powershell' {
  const language: unknown
  export default language
}
