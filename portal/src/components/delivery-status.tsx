/** A webhook delivery's state as a word with a colour (the colour is never the only signal). */
export function DeliveryStatus({ status }: { status: string | null }) {
  if (status === null) return <span class="muted">no deliveries yet</span>;
  const cls = status === 'delivered' ? 'ok' : status === 'failed' ? 'bad' : 'muted';
  return <span class={cls}>{status}</span>;
}
