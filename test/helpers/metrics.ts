/** The value of one sample in a Prometheus text exposition (0 when it is absent). */
export function metricValue(text: string, sample: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${sample} `))
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0
}

export async function readMetric(serverUrl: string, sample: string): Promise<number> {
  const response = await fetch(`${serverUrl}/metrics`)
  if (!response.ok) throw new Error(`GET /metrics: ${response.status}`)
  return metricValue(await response.text(), sample)
}
