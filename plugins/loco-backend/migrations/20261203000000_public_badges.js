/**
 * Public badge ids: one random, unguessable id per environment, so a badge
 * can be embedded outside the portal without naming the environment or
 * carrying a Backstage session. Deleting a row revokes its address.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('loco_public_badges', table => {
    table.comment('Unguessable public badge address of each environment');
    table.string('environment').primary().notNullable();
    table.string('badge_id').unique().notNullable();
    table.timestamp('created_at').notNullable().defaultTo(knex.fn.now());
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('loco_public_badges');
};
