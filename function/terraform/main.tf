data "aws_region" "current" {}

# The dead-letter queue: asynchronous events that failed every retry wait here.
resource "aws_sqs_queue" "dlq" {
  name                      = "${var.name}-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

resource "aws_cloudwatch_log_group" "function" {
  # Lambda writes to /aws/lambda/<function name>; made here so that retention is set before
  # the first invocation creates it without one.
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
  #checkov:skip=CKV_AWS_158:The function logs no secrets; CloudWatch's default encryption at rest is enough for request logs.
  #checkov:skip=CKV_AWS_338:Retention is the team's choice (var.log_retention_days, 30 days by default), held by gate's lambda-log-retention.
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "function" {
  name               = "${var.name}-role"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "function" {
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function.arn}:*"]
  }
  statement {
    sid       = "DeadLetterQueue"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq.arn]
  }
  statement {
    sid       = "Tracing"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "function" {
  name   = "${var.name}-policy"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.function.json
}

resource "aws_lambda_function" "function" {
  function_name = var.name
  role          = aws_iam_role.function.arn
  package_type  = "Image"
  image_uri     = var.image_uri
  architectures = [var.architecture]
  memory_size   = var.memory_size
  timeout       = var.timeout
  publish       = true

  reserved_concurrent_executions = var.reserved_concurrency

  dead_letter_config {
    target_arn = aws_sqs_queue.dlq.arn
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.function.name
  }

  environment {
    variables = {
      FUNCTION_VERSION = "live"
    }
  }

  #checkov:skip=CKV_AWS_117:A public HTTP API that reaches no private resource; a VPC would add cold-start time and NAT cost for nothing.
  #checkov:skip=CKV_AWS_272:Code signing applies to .zip packages only; an image function is pinned by digest (var.image_uri).
  #checkov:skip=CKV_AWS_173:The one environment variable is the alias name, not a secret; Lambda encrypts it at rest with its own key.

  depends_on = [aws_iam_role_policy.function]
}

# `live`: what the Function URL and provisioned concurrency point at, and what
# `gate perf --function NAME:live` drives.
resource "aws_lambda_alias" "live" {
  name             = "live"
  function_name    = aws_lambda_function.function.function_name
  function_version = aws_lambda_function.function.version
}

resource "aws_lambda_provisioned_concurrency_config" "live" {
  count                             = var.provisioned_concurrency > 0 ? 1 : 0
  function_name                     = aws_lambda_function.function.function_name
  qualifier                         = aws_lambda_alias.live.name
  provisioned_concurrent_executions = var.provisioned_concurrency
}

resource "aws_lambda_function_url" "live" {
  function_name = aws_lambda_function.function.function_name
  qualifier     = aws_lambda_alias.live.name
  # NONE: `gate perf --url` drives it as any client would. Use AWS_IAM (and drive it with
  # `gate perf --function`) when the function must not be public.
  authorization_type = "NONE" #checkov:skip=CKV_AWS_258:Public by design: the example HTTP API, throttled by reserved concurrency.
}
