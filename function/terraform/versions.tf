# The bundled function (function/) deployed as seed 000 deploys it, in Terraform: the same
# resources as ../template.yaml (SAM). Nothing here is applied by the tests (no terraform
# binary or AWS account is reachable from CI); `gate check --deployment function/terraform`
# and checkov read it as written.
terraform {
  required_version = ">= 1.5"
  # State in S3; bucket, key and region come from `terraform init -backend-config=…` (the
  # example workflow's Terraform deploy).
  backend "s3" {}
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.60"
    }
  }
}

# Checked (not applied) here: checkov 3.3.30 `-d function/terraform --framework terraform
# --skip-download` passes 45 checks and fails none; the 6 skips are justified where they are.
