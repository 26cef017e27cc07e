-- Ingot's two roles (README, "Least privilege"): run once by the postgres image when its data
-- volume is new. The image's POSTGRES_USER (postgres) stays the superuser; ingot_owner owns the
-- database and runs the migrations; ingot_app, what commands connect as, gets its privileges
-- from Ingot after the migrations (SELECT and INSERT only on the audit tables).
CREATE ROLE ingot_owner LOGIN PASSWORD 'ingot_owner_dev';
CREATE ROLE ingot_app LOGIN PASSWORD 'ingot_dev';
CREATE DATABASE ingot OWNER ingot_owner;
