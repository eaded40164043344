export function Quarantine() {
  return <section><h1>Quarantine</h1></section>;
}
