import type {DoctorCheck} from '../../src/doctor/check.ts'
import {finding} from '../../src/findings/catalog.ts'
import {requiresWeightsSumTo100} from '../../src/istio/api-versions.ts'
import {re2Problem, weightProblem} from '../../src/istio/route-rules.ts'
import type {StringMatch} from '../../src/istio/types.ts'

export const virtualServiceRoutes: DoctorCheck = {
  id: 'virtualservice-routes',
  layer: 'config',
  description: "Route weights send traffic (summing to 100 where this Istio requires it) and every regex is one Envoy's RE2 accepts.",
  inputs: ['VirtualService'],
  run(snapshot) {
    const mustSumTo100 = requiresWeightsSumTo100(snapshot.istioVersion)
    return snapshot.items('VirtualService').flatMap((vs) => {
      const namespace = vs.metadata.namespace ?? ''
      const resource = {kind: 'VirtualService', namespace, name: vs.metadata.name ?? ''}
      const edit = `kubectl -n ${namespace} edit virtualservice ${vs.metadata.name}`
      return (vs.spec?.http ?? []).flatMap((route, i) => {
        const found = []
        const destinations = route.route ?? []
        const problem = weightProblem(destinations.map((d) => d.weight ?? (destinations.length === 1 ? 100 : undefined)), mustSumTo100)
        if (problem) found.push(finding('RouteWeightsInvalid', resource, `/spec/http/${i}${route.name ? ` (${route.name})` : ''}: ${problem}`, {hint: edit}))
        ;(route.match ?? []).forEach((match, m) => {
          const regexes: [string, StringMatch | undefined][] = [
            ['uri', match.uri],
            ['authority', match.authority],
            ['method', match.method],
            ['scheme', match.scheme],
            ...Object.entries(match.headers ?? {}).map(([k, v]): [string, StringMatch] => [`headers/${k}`, v]),
            ...Object.entries(match.queryParams ?? {}).map(([k, v]): [string, StringMatch] => [`queryParams/${k}`, v]),
          ]
          for (const [field, value] of regexes) {
            const regexProblem = value?.regex !== undefined ? re2Problem(value.regex) : undefined
            if (regexProblem) found.push(finding('RouteRegexInvalid', resource, `/spec/http/${i}/match/${m}/${field} regex "${value?.regex}": ${regexProblem}`, {hint: edit}))
          }
        })
        return found
      })
    })
  },
}
