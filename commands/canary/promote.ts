import {canaryRunCommand} from '../canary-shared.ts'

export default canaryRunCommand('promote', 'Promote a canary now: canary weight 100, the run Succeeded.')
