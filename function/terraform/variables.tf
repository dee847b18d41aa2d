variable "name" {
  description = "Function name; also the prefix of every other resource's name."
  type        = string
  default     = "gatefn-function"
}

variable "image_uri" {
  description = "The gated image in ECR, by digest (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO@sha256:...), so what runs is what was gated."
  type        = string
  validation {
    condition     = can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/[a-z0-9._/-]+@sha256:[0-9a-f]{64}$", var.image_uri))
    error_message = "image_uri must be an ECR repository pinned by digest (REPO@sha256:...): a tag can move between plan and apply."
  }
}

variable "architecture" {
  description = "Must match the image's platform (gate's lambda-architecture-mismatch); arm64 is ~20% cheaper per GB-second."
  type        = string
  default     = "x86_64"
  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture is x86_64 or arm64."
  }
}

variable "memory_size" {
  description = "MB. Also buys CPU; gate's lambda-memory-headroom suggests a size from the load test's Max Memory Used."
  type        = number
  default     = 512
}

variable "timeout" {
  description = "Seconds. Above the load test's p99 with a margin (gate's lambda-timeout-margin), below API Gateway's 29 s."
  type        = number
  default     = 10
}

variable "reserved_concurrency" {
  description = "The most concurrent executions this function may take from the account's pool (-1 would mean none: gate's lambda-no-reserved-concurrency)."
  type        = number
  default     = 50
}

variable "provisioned_concurrency" {
  description = "Pre-initialised environments on the live alias (0 = none; each one is billed while idle)."
  type        = number
  default     = 0
}

variable "log_retention_days" {
  description = "Days the function's log group keeps its logs."
  type        = number
  default     = 30
}

variable "alarm_email" {
  description = "Where alarms are mailed (empty = the topic only)."
  type        = string
  default     = ""
}

variable "duration_alarm_threshold_ms" {
  description = "p99 duration that raises the alarm; keep it at ~80% of timeout x 1000."
  type        = number
  default     = 8000
}

variable "concurrency_alarm_threshold" {
  description = "Concurrent executions that raise the alarm; keep it at ~80% of reserved_concurrency."
  type        = number
  default     = 40
}
