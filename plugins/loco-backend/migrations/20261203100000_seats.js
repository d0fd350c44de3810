/**
 * Seats: who plays which instance. One row per claimed instance; the holder's
 * presence (an open screen of the instance on any backend replica) is
 * refreshed into seen_at, and a row whose seen_at is older than the grace
 * period is deleted (the seat is free again). Times are epoch milliseconds,
 * the same on SQLite and PostgreSQL.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('loco_seats', table => {
    table.comment('The holder of each claimed emulator instance');
    table.string('environment').notNullable();
    table.integer('instance').notNullable();
    table.string('holder').notNullable();
    table.bigInteger('claimed_at').notNullable();
    table.bigInteger('seen_at').notNullable();
    table.primary(['environment', 'instance']);
    table.index(['environment', 'holder']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('loco_seats');
};
