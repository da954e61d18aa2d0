mod corpus;
mod figures_gen;
mod gen;
mod privacy;
mod props;
mod run;
mod util;
mod validate;
