//! `gate check IMAGE`: the image job, plus security and perf when asked, in one Report.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;

use lambda_gate::check;
use lambda_gate::image::ScanOptions;
use lambda_gate::policy::base::PolicyFrom;
use lambda_gate::policy::{Flags, Policy};
use lambda_gate::units::parse_size;

#[derive(Args)]
pub struct CheckArgs {
    /// The image: an archive (docker save, podman save, skopeo, buildah, kaniko) or OCI layout
    /// directory, or a reference in skopeo's syntax: docker-archive:PATH, oci-archive:PATH,
    /// oci:DIR, docker://REGISTRY/REPO:TAG (or @sha256:…), docker-daemon:NAME:TAG, podman:NAME.
    #[arg(required_unless_present_any = ["function", "deployment"], value_name = "IMAGE")]
    pub image: Option<String>,

    #[command(flatten)]
    pub source: SourceArgs,

    /// Platform to check in a multi-platform image, e.g. linux/arm64 (default: linux/amd64,
    /// else the only one).
    #[arg(long)]
    pub platform: Option<String>,

    /// Which image of an archive holding several (a RepoTag or ref name, or 1, 2, …).
    #[arg(long = "image", value_name = "REF")]
    pub image_ref: Option<String>,

    #[command(flatten)]
    pub output: super::output::OutputArgs,

    /// Policy file (default: ./gate.toml when present).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,

    /// Obey the policy (and the .trivyignore it names) of this git commit, branch or tag,
    /// read from the repository's objects, and compare the working tree's with it. On a
    /// pull_request event the base commit is the default (from $GITHUB_EVENT_PATH).
    #[arg(long, value_name = "REF")]
    pub policy_base: Option<String>,

    /// With a policy base, whose policy to obey: `base` (default) or `head`, which trusts the
    /// pull request's own gate.toml and ignore files (the changes are still shown).
    #[arg(long, value_name = "base|head", value_parser = PolicyFrom::parse)]
    pub policy_from: Option<PolicyFrom>,

    #[command(flatten)]
    pub budgets: lambda_gate::budget::ImagePolicy,

    /// Also write the image's packages as a CycloneDX 1.5 JSON SBOM to this file.
    #[arg(long, value_name = "FILE")]
    pub sbom_output: Option<PathBuf>,

    /// Skip sha256 verification of blobs and layers (faster on uncompressed layers).
    #[arg(long)]
    pub no_verify: bool,

    /// Skip the package inventory (`packages[]`): the package databases are not read.
    #[arg(long)]
    pub no_packages: bool,

    /// How many times its stored size a layer may expand when decompressed.
    #[arg(long, value_name = "RATIO", default_value_t = ScanOptions::default().max_expansion)]
    pub max_expansion: u64,

    #[command(flatten)]
    pub rules: super::rules::RulesArgs,

    #[command(flatten)]
    pub security: super::security::SecurityArgs,

    #[command(flatten)]
    pub perf: super::perf::PerfCheckArgs,

    #[command(flatten)]
    pub github: super::github::GithubArgs,

    #[command(flatten)]
    pub deployment: super::deployment::DeploymentArgs,
}

pub fn run(args: CheckArgs) -> Result<i32> {
    if let (Some(d), Some(f)) = (&args.deployment.deployment, &args.source.function) {
        // Before the deploy and after it are two configurations of one function; one report
        // has one table, so the run would show only one of them.
        bail!(
            "--deployment {} and --function {f}: the configuration before the deploy and the deployed function are two gate check steps (give the image, not --function, to check it against the template)",
            d.display()
        );
    }
    let sourced = policy(&args)?;
    let perf = args.perf.input();
    let loaded = matches!(perf, Some(check::Perf::Load(_)));
    let mut inputs = check::Inputs {
        policy: sourced,
        image: None,
        baseline: None,
        dive_ci: args.rules.dive_ci_file(),
        security: args.security.files(),
        rustsec_db: args.security.rustsec_db.clone(),
        perf,
        deployment: args.deployment.input(),
        function: None,
        history: None,
    };
    // With an image (or --function): the image scanned, and the baseline and history it is
    // compared with. Without one, `--deployment` alone: the configuration and the perf run.
    let with_image = args.image.is_some() || args.source.function.is_some();
    if with_image {
        let baseline = args.output.load_baseline()?;
        let opts = ScanOptions {
            verify: !args.no_verify,
            max_expansion: args.max_expansion.max(1),
            capture: (!args.no_packages).then(lambda_gate::packages::capture),
        };
        let (facts, opened, deployed, answered) = args.source.inspect(
            args.image.as_deref(),
            &inputs.policy.policy.image,
            args.image_ref.clone(),
            &opts,
        )?;
        inputs.image = Some(check::Scanned {
            source: opened.source.clone(),
            facts,
            verified: opts.verify,
            deployed,
        });
        drop(opened);
        inputs.baseline = args
            .output
            .baseline
            .as_ref()
            .map(|p| p.display().to_string())
            .zip(baseline);
        inputs.function = args.source.function.as_ref().map(|name| check::Function {
            name: name.clone(),
            qualifier: None,
            region: args.source.region.clone(),
            endpoint: args
                .source
                .lambda_endpoint
                .clone()
                .or_else(|| std::env::var("AWS_ENDPOINT_URL_LAMBDA").ok()),
            answered,
        });
        inputs.history = args.output.history_input();
    }
    let checked = check::run(inputs)?;
    for w in &checked.warnings {
        eprintln!("gate: warning: {w}");
    }
    let report = checked.report;
    if let (true, Some(p)) = (loaded, &report.perf) {
        super::perf::say_how_it_ran(p);
    }
    let sbom = match (&args.sbom_output, with_image) {
        (Some(path), true) => Some((path, lambda_gate::report::sbom::render(&report)?)),
        _ => None,
    };
    args.output.emit(&report)?;
    if let Some((path, sbom)) = sbom {
        super::output::write_file(path, sbom.as_bytes())?;
        sbom_step_output(path);
    }
    let path = args.output.output.as_ref().map(|p| p.display().to_string());
    args.github.publish(&report, path.as_deref())?;
    Ok(report.verdict.exit_code())
}

/// The policy the run obeys: the base commit's on a pull request (or with `--policy-base`),
/// the working tree's otherwise.
fn policy(args: &CheckArgs) -> Result<lambda_gate::policy::base::Resolved> {
    let flags = flags(args);
    let rev = match &args.policy_base {
        Some(r) => Some(r.clone()),
        None => lambda_gate::github::context::pull_request_base()?,
    };
    let Some(rev) = rev else {
        return Ok(lambda_gate::policy::base::Resolved {
            policy: Policy::resolve(args.policy.as_deref(), &flags)?,
            changes: None,
            finding: None,
            notes: Vec::new(),
            dive_ci: None,
        });
    };
    let dir = std::env::current_dir().context("the working directory")?;
    lambda_gate::policy::base::resolve(
        args.policy.as_deref(),
        args.rules.dive_ci.as_deref(),
        &flags,
        &rev,
        args.policy_from.unwrap_or_default(),
        &dir,
    )
}

/// The flags that set policy, for the library to lay over gate.toml.
fn flags(args: &CheckArgs) -> Flags {
    Flags {
        platform: args.platform.clone(),
        budgets: args.budgets.clone(),
        architecture: args.rules.architecture.clone(),
        ..args.security.policy.flags()
    }
}

/// The Action's `sbom-path` output (outside GitHub Actions, nothing). Like the other step
/// outputs, a side effect: one that cannot be written warns and keeps the verdict.
fn sbom_step_output(path: &std::path::Path) {
    if let Err(e) =
        lambda_gate::github::outputs::append(&[("sbom-path", path.display().to_string())])
    {
        eprintln!("gate: warning: $GITHUB_OUTPUT: the sbom-path output was not written: {e:#}");
    }
}

/// Where the image comes from when it is not a path: registries, engines, a deployed function.
#[derive(Args)]
pub struct SourceArgs {
    /// Check the image a deployed Lambda function runs (name or ARN, optionally :ALIAS or
    /// :VERSION): GetFunction gives the image and its digest, read from ECR by that digest.
    #[arg(long, value_name = "NAME[:QUALIFIER]", conflicts_with = "image")]
    pub function: Option<String>,

    /// AWS region for --function and ECR (default AWS_REGION, AWS_DEFAULT_REGION).
    #[arg(long)]
    pub region: Option<String>,

    /// Lambda API endpoint for --function (e.g. a local emulator; default AWS's, or
    /// AWS_ENDPOINT_URL_LAMBDA).
    #[arg(long, value_name = "URL")]
    pub lambda_endpoint: Option<String>,

    /// ECR API endpoint (e.g. an emulator; default AWS's, or AWS_ENDPOINT_URL_ECR). Given, a
    /// registry on the endpoint's own host (any port) is taken to be that ECR even without an
    /// ECR name; no other registry is sent an ECR token.
    #[arg(long, value_name = "URL")]
    pub ecr_endpoint: Option<String>,

    /// Talk plain HTTP to a registry on this machine (localhost, 127.0.0.1, ::1: a local
    /// registry without TLS); any other host is refused. A private CA is trusted through
    /// SSL_CERT_FILE instead.
    #[arg(long)]
    pub plain_http: bool,

    /// Most bytes of a docker-daemon:/podman: export spooled to $TMPDIR before it is read
    /// (e.g. 30GB); the default is 20GB, twice Lambda's 10 GB image limit.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_export_size: Option<u64>,

    /// Talk plain HTTP to this registry wherever it is (HOST:PORT, or HOST for any port;
    /// repeat or separate with commas), as Docker's and Podman's insecure registries.
    /// Credentials are still never sent in clear to a host that is not this machine.
    #[arg(long, value_name = "HOST[:PORT]", value_delimiter = ',')]
    pub insecure_registry: Vec<String>,
}

impl SourceArgs {
    fn inspect(
        &self,
        image: Option<&str>,
        policy: &lambda_gate::policy::ImagePolicy,
        image_ref: Option<String>,
        opts: &ScanOptions,
    ) -> Result<(
        lambda_gate::check::ImageFacts,
        lambda_gate::source::Opened,
        Option<lambda_gate::report::DeployedImage>,
        Option<lambda_gate::aws::lambda::GetFunction>,
    )> {
        use lambda_gate::source::{self, lambda, ImageRef};
        let aws = lambda_gate::aws::Settings {
            region: self.region.clone(),
            lambda_endpoint: self.lambda_endpoint.clone(),
            ecr_endpoint: self.ecr_endpoint.clone(),
        };
        let mut access = source::Access::default();
        access.registry.plain_http = self.plain_http;
        access.max_export = self.max_export_size;

        access.registry.insecure_registries = self.insecure_registry.clone();
        access.aws = aws.clone();
        access.ecr_explicit = self.ecr_endpoint.is_some()
            || std::env::var("AWS_ENDPOINT_URL_ECR").is_ok_and(|v| !v.is_empty());
        // One GetFunction: its answer names the image here and, later, the configuration
        // the deployed rules hold to the policy.
        let (reference, deployed, answered) = match (&self.function, image) {
            (Some(f), _) => {
                let spec = lambda_gate::aws::lambda::FunctionSpec::parse(f, None)?;
                let got = lambda::get_function(&spec, &aws)?;
                let d = lambda::deployed(&spec, &got)?;
                (ImageRef::Registry(d.resolved.clone()), Some(d), Some(got))
            }
            (None, Some(i)) => (ImageRef::parse(i)?, None, None),
            (None, None) => anyhow::bail!("give an image or --function"),
        };
        let sel = lambda_gate::image::resolve::Selection {
            platform: policy.platform.clone(),
            image: image_ref,
        };
        let mut opened = source::open(&reference, &sel, &access)?;
        if let Some(d) = &deployed {
            opened.image.notes.push(format!(
                "the deployed image of {}{}: {} at {}",
                d.function,
                d.qualifier
                    .as_deref()
                    .map(|q| format!(":{q}"))
                    .unwrap_or_default(),
                d.image_uri,
                d.digest
            ));
        }
        let scan = source::scan(&opened, opts)?;
        let facts = lambda_gate::check::facts(opened.image.clone(), scan, opts);
        Ok((facts, opened, deployed.map(|d| d.to_report()), answered))
    }
}
