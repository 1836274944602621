export {
  AuditLog,
  AUDIT_TAIL_CHARS,
  isFailure,
  type AuditFilter,
  type AuditLogOptions,
  type AuditRecord,
} from './audit-log';
export { redactArgv, redactedTail, redactText, REDACTED } from '../../common/redact';
