/** The worlds `sandbox up --world` can build: demo (Istio plus the seed examples' services) or empty (Istio only). */
export type WorldName = 'demo' | 'empty'
export const worldNames: readonly WorldName[] = ['demo', 'empty']
