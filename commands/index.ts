// Every command, for oclif's explicit discovery: the bundle holds them all in one module, so start-up
// reads one file instead of walking a directory. Heavy code stays behind dynamic imports in each run().
import Canary from './canary.ts'
import CanaryAbort from './canary/abort.ts'
import CanaryPause from './canary/pause.ts'
import CanaryPromote from './canary/promote.ts'
import CanaryResume from './canary/resume.ts'
import CanaryStatus from './canary/status.ts'
import CertsCreate from './certs/create.ts'
import CertsInspect from './certs/inspect.ts'
import CertsRotate from './certs/rotate.ts'
import Doctor from './doctor.ts'
import Help from './help.ts'
import SandboxDown from './sandbox/down.ts'
import SandboxFault from './sandbox/fault.ts'
import SandboxStatus from './sandbox/status.ts'
import SandboxUp from './sandbox/up.ts'
import Scaffold from './scaffold.ts'
import Version from './version.ts'

export const COMMANDS = {
  canary: Canary,
  'canary:abort': CanaryAbort,
  'canary:pause': CanaryPause,
  'canary:promote': CanaryPromote,
  'canary:resume': CanaryResume,
  'canary:status': CanaryStatus,
  'certs:create': CertsCreate,
  'certs:inspect': CertsInspect,
  'certs:rotate': CertsRotate,
  doctor: Doctor,
  help: Help,
  'sandbox:down': SandboxDown,
  'sandbox:fault': SandboxFault,
  'sandbox:status': SandboxStatus,
  'sandbox:up': SandboxUp,
  scaffold: Scaffold,
  version: Version,
}
