export function Webhook({ name }: { name: string }) {
  return <section><h1>{name}</h1></section>;
}
