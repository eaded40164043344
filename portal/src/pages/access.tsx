export function Access() {
  return <section><h1>Access</h1></section>;
}
