output "function_url" {
  description = "The Function URL (of the live alias), for `gate perf --url`."
  value       = aws_lambda_function_url.live.function_url
}

output "function_name" {
  description = "For `gate perf --function` (Invoke mode, REPORT lines, configuration checks)."
  value       = aws_lambda_function.function.function_name
}

output "function_alias" {
  description = "The alias the URL and provisioned concurrency are on (`--qualifier`)."
  value       = aws_lambda_alias.live.name
}

output "dead_letter_queue_url" {
  value = aws_sqs_queue.dlq.url
}

output "alarm_topic_arn" {
  value = aws_sns_topic.alarms.arn
}

output "region" {
  value = data.aws_region.current.name
}
