//! `essaim serve`: run the scheduled jobs until SIGTERM or SIGINT.

use crate::config::Config;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the next times each job will run, then exit.
    #[arg(long)]
    pub next: bool,
}

pub fn run(config: Config, args: Args) -> Result<u8, crate::cli::CliError> {
    if args.next {
        let tz = config.schedules.timezone;
        for (name, expr, cron) in [
            ("run", &config.schedule.run, &config.schedules.run),
            ("digest", &config.schedule.digest, &config.schedules.digest),
            ("retry", &config.schedule.retry, &config.schedules.retry),
        ] {
            let times: Vec<String> = crate::serve::upcoming(cron, tz, chrono::Utc::now(), 3)
                .iter()
                .map(|t| t.to_rfc3339())
                .collect();
            println!("{name:<7} {expr:<20} {}", times.join("  "));
        }
        return Ok(crate::model::exit::OK);
    }
    crate::serve::serve(config)?;
    Ok(crate::model::exit::OK)
}
