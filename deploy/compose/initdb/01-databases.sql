-- One database per service (and per city's intake); each service migrates its own at start-up.
CREATE DATABASE mile_intake_milan;
CREATE DATABASE mile_intake_viladecans;
CREATE DATABASE mile_intake_innsbruck;
CREATE DATABASE mile_intake_athens;
CREATE DATABASE mile_intake_patras;
CREATE DATABASE mile_matching;
CREATE DATABASE mile_placement;
CREATE DATABASE mile_reporting;
