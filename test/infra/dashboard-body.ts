/**
 * Test helpers: read a synthesized template's CloudWatch dashboard and alarms the way CloudWatch
 * will, with each CloudFormation reference in the dashboard body written as `<Ref X>` or
 * `<GetAtt X.Y>`.
 */
import type { Resource } from '../support/template.ts';

/** A widget of a dashboard. */
export interface Widget {
  readonly type: string;
  readonly properties: {
    readonly title?: string;
    readonly markdown?: string;
    readonly alarms?: string[];
    readonly query?: string;
    readonly metrics?: unknown[][];
  };
}

/** A metric a dashboard or alarm reads; a dimension value of `undefined` means any (a SEARCH). */
export interface MetricRead {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string | undefined>>;
}

/** A CloudFormation reference as text: `<Ref X>`, `<GetAtt X.Y>`. */
function referenceText(value: unknown): string {
  const ref = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  if (ref.Ref !== undefined) return `<Ref ${ref.Ref}>`;
  if (ref['Fn::GetAtt'] !== undefined) return `<GetAtt ${ref['Fn::GetAtt'].join('.')}>`;
  throw new Error(`unexpected intrinsic in the dashboard body: ${JSON.stringify(value)}`);
}

/** The widgets of the template's one dashboard. */
export function dashboardWidgets(resources: Record<string, unknown>): Widget[] {
  const dashboards = Object.values(resources as Record<string, Resource>).filter(
    ({ Type }) => Type === 'AWS::CloudWatch::Dashboard',
  );
  if (dashboards.length !== 1) throw new Error(`expected one dashboard, ${dashboards.length}`);
  const body = dashboards[0]?.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] };
  const [separator, parts] = body['Fn::Join'];
  if (separator !== '') throw new Error(`the body is joined with "${separator}"`);
  const text = parts.map((part) => (typeof part === 'string' ? part : referenceText(part)));
  return (JSON.parse(text.join('')) as { widgets: Widget[] }).widgets;
}

/** A dimension list of an alarm, as a map; `undefined` values are references. */
function dimensionMap(dimensions: unknown): Record<string, string | undefined> {
  const list = (dimensions ?? []) as { Name: string; Value: unknown }[];
  return Object.fromEntries(
    list.map(({ Name, Value }) => [Name, typeof Value === 'string' ? Value : referenceText(Value)]),
  );
}

/** The metrics in `namespace` that the template's alarms and dashboard read. */
export function metricsRead(resources: Record<string, unknown>, namespace: string): MetricRead[] {
  const read: MetricRead[] = [];
  for (const { Type, Properties } of Object.values(resources as Record<string, Resource>)) {
    if (Type !== 'AWS::CloudWatch::Alarm') continue;
    const queries = (Properties.Metrics ?? []) as {
      MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions?: unknown } };
    }[];
    const metrics = [
      ...(Properties.MetricName === undefined
        ? []
        : [
            {
              Namespace: Properties.Namespace as string,
              MetricName: Properties.MetricName as string,
              Dimensions: Properties.Dimensions,
            },
          ]),
      ...queries.flatMap((query) => (query.MetricStat ? [query.MetricStat.Metric] : [])),
    ];
    for (const metric of metrics) {
      if (metric.Namespace !== namespace) continue;
      read.push({
        namespace,
        metricName: metric.MetricName,
        dimensions: dimensionMap(metric.Dimensions),
      });
    }
  }
  for (const { properties } of dashboardWidgets(resources)) {
    for (const line of properties.metrics ?? []) {
      const [first, ...rest] = line;
      if (first === namespace) {
        const [metricName, ...pairs] = rest.filter((part) => typeof part === 'string');
        const dimensions: Record<string, string> = {};
        for (let i = 0; i + 1 < pairs.length; i += 2) {
          dimensions[pairs[i] as string] = pairs[i + 1] as string;
        }
        read.push({ namespace, metricName: metricName as string, dimensions });
      }
      const expression = (first as { expression?: string } | undefined)?.expression ?? '';
      const search = /^SEARCH\('\{([^}]*)\} ([^']*)'/.exec(expression);
      if (search) {
        const [ns, ...names] = (search[1] ?? '').split(',');
        if (ns !== namespace) continue;
        const terms = Object.fromEntries(
          [...(search[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k, v]),
        );
        const { MetricName: metricName, ...values } = terms;
        read.push({
          namespace,
          metricName: metricName ?? '',
          dimensions: Object.fromEntries(names.map((name) => [name, values[name]])),
        });
      }
    }
  }
  return read;
}
