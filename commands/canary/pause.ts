import {canaryRunCommand} from '../canary-shared.ts'

export default canaryRunCommand('pause', "Pause a canary run: the weights stay; a running CLI stops at its next write. Resume with 'canary resume'.")
