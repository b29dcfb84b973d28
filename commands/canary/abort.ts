import {canaryRunCommand} from '../canary-shared.ts'

export default canaryRunCommand('abort', 'Abort a canary run: put back the weights recorded before it started.')
