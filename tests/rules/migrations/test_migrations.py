"""ORM migration rules on realistic Django, Alembic, Rails, Knex, TypeORM, Sequelize and Prisma
diffs: what fires (code, path, line, message) and the near misses that must stay quiet."""

from __future__ import annotations

import difflib
import textwrap

import pytest

from changerisk.model import Severity
from changerisk.testing import found, run_diff


def added(path: str, body: str) -> str:
    lines = textwrap.dedent(body).strip("\n").split("\n")
    plus = "".join(f"+{line}\n" for line in lines)
    return (
        f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n"
        f"@@ -0,0 +1,{len(lines)} @@\n{plus}"
    )


def modified(path: str, old: str, new: str) -> str:
    a = textwrap.dedent(old).strip("\n").split("\n")
    b = textwrap.dedent(new).strip("\n").split("\n")
    body = "".join(
        line + "\n"
        for line in difflib.unified_diff(a, b, f"a/{path}", f"b/{path}", n=3, lineterm="")
    )
    return f"diff --git a/{path} b/{path}\n{body}"


def mig(diff: str) -> set[tuple[str, str, int]]:
    return found(run_diff(diff, select=["MIG"]))


def messages(diff: str) -> dict[tuple[str, int], str]:
    return {(f.code, f.line): f.message for f in run_diff(diff, select=["MIG"]).findings}


DJ = "shop/migrations/0012_cleanup.py"
DJANGO_HEAD = """
from django.db import migrations, models


def purge(apps, schema_editor):
    Session = apps.get_model("shop", "Session")
    Session.objects.all().delete()
    Cart = apps.get_model("shop", "Cart")
    Cart.objects.filter(abandoned=True).delete()
    ContentType.objects.filter(app_label="shop", model="cart").delete()


class Migration(migrations.Migration):
    dependencies = [("shop", "0011_auto")]

    operations = [
"""
DJANGO = added(
    DJ,
    DJANGO_HEAD
    + """
        migrations.RemoveField(model_name="customer", name="email"),
        migrations.DeleteModel(name="LegacyOrder"),
        migrations.RenameField(model_name="customer", old_name="phone", new_name="mobile"),
        migrations.RunSQL(
            "DROP TABLE shop_audit;",
            reverse_sql="CREATE TABLE shop_audit (id int);",
        ),
        migrations.RunPython(purge, migrations.RunPython.noop),
    ]
""",
)

ALEMBIC_PATH = "alembic/versions/3f2a1b_cleanup.py"
ALEMBIC = added(
    ALEMBIC_PATH,
    '''
    """cleanup"""
    from alembic import op
    import sqlalchemy as sa

    revision = "3f2a1b"


    def upgrade():
        op.drop_table("legacy_events")
        with op.batch_alter_table("users") as batch_op:
            batch_op.drop_column("api_token")
        op.alter_column("users", "name", new_column_name="full_name")
        op.alter_column("orders", "total", type_=sa.Numeric(12, 2))
        op.execute("TRUNCATE TABLE sessions")


    def downgrade():
        op.create_table("legacy_events", sa.Column("id", sa.Integer))
        op.drop_column("users", "full_name")
        op.execute("DELETE FROM users")
    ''',
)

RAILS_PATH = "db/migrate/20240501120000_cleanup.rb"
RAILS = added(
    RAILS_PATH,
    """
    class Cleanup < ActiveRecord::Migration[7.1]
      def up
        drop_table :legacy_orders
        remove_column :users, :email, :string
        rename_column :users, :name, :full_name
        change_column :payments, :amount_cents, :bigint
        change_table :accounts do |t|
          t.remove :plan, :trial_ends_at
        end
        execute <<~SQL
          DELETE FROM sessions;
        SQL
        create_table :carts, force: true do |t|
          t.string :token
        end
      end

      def down
        drop_table :whatever
        remove_column :users, :full_name
      end
    end
    """,
)

KNEX_PATH = "migrations/20240501_cleanup.js"
KNEX = added(
    KNEX_PATH,
    """
    exports.up = async function (knex) {
      await knex.schema.dropTable("legacy_events");
      await knex.schema.alterTable("users", (t) => {
        t.dropColumn("api_token");
        t.renameColumn("name", "full_name");
      });
      await knex.raw("DELETE FROM sessions");
    };

    exports.down = async function (knex) {
      await knex.schema.dropTable("users");
    };
    """,
)

TYPEORM_PATH = "src/migrations/1700000000000-Cleanup.ts"
TYPEORM = added(
    TYPEORM_PATH,
    """
    import { MigrationInterface, QueryRunner } from "typeorm";

    export class Cleanup1700000000000 implements MigrationInterface {
        name = "Cleanup1700000000000";

        public async up(queryRunner: QueryRunner): Promise<void> {
            await queryRunner.query(`ALTER TABLE "user" DROP COLUMN "legacy_token"`);
            await queryRunner.query(`DROP TABLE "audit_log"`);
            await queryRunner.dropColumn("post", "draft");
        }

        public async down(queryRunner: QueryRunner): Promise<void> {
            await queryRunner.query(`DROP TABLE "user"`);
        }
    }
    """,
)

SEQUELIZE_PATH = "db/migrations/20240501-cleanup.js"
SEQUELIZE = added(
    SEQUELIZE_PATH,
    """
    module.exports = {
      up: async (queryInterface, Sequelize) => {
        await queryInterface.removeColumn("Users", "legacyToken");
        await queryInterface.renameTable("Carts", "Baskets");
      },
      down: async (queryInterface) => {
        await queryInterface.dropTable("Users");
      },
    };
    """,
)

PRISMA_OLD = """
generator client {
  provider = "prisma-client-js"
}

model User {
  id        Int      @id @default(autoincrement())
  email     String   @unique
  nickname  String?
  role      Role     @default(USER)
  posts     Post[]
}

model Post {
  id       Int   @id
  authorId Int
  author   User  @relation(fields: [authorId], references: [id])
}

model AuditLog {
  id Int @id
}

enum Role {
  USER
  ADMIN
}
"""
PRISMA_NEW = """
generator client {
  provider = "prisma-client-js"
}

model User {
  id        Int      @id @default(autoincrement())
  email     String   @unique
  posts     Post[]
}

model Post {
  id       Int   @id
  authorId Int
  author   User  @relation(fields: [authorId], references: [id])
}

enum Role {
  USER
  ADMIN
}
"""
PRISMA = modified("prisma/schema.prisma", PRISMA_OLD, PRISMA_NEW)

FIRES = [
    (
        "django",
        DJANGO,
        {
            ("MIG102", DJ, 17),
            ("MIG101", DJ, 18),
            ("MIG103", DJ, 19),
            ("MIG105", DJ, 21),
            ("MIG105", DJ, 6),
            ("MIG105", DJ, 8),
        },
        {
            ("MIG102", 17): "removes field customer.email: Django drops the column and its "
            "data, and running code that reads it breaks",
            ("MIG101", 18): "deletes model LegacyOrder: Django drops its table and every row "
            "in it, and running code that reads it breaks",
            ("MIG103", 19): "renames field customer.phone to mobile: Django renames the column, "
            "and running code that reads the old name fails until the new code is deployed",
            ("MIG105", 21): "drops table shop_audit: its rows are lost, and running code that "
            "reads it breaks (RunSQL)",
            ("MIG105", 6): "deletes every row of Session (RunPython)",
            ("MIG105", 8): "deletes rows of Cart.filter(abandoned=True) (RunPython)",
        },
    ),
    (
        "alembic",
        ALEMBIC,
        {
            ("MIG101", ALEMBIC_PATH, 9),
            ("MIG102", ALEMBIC_PATH, 11),
            ("MIG103", ALEMBIC_PATH, 12),
            ("MIG104", ALEMBIC_PATH, 13),
            ("MIG105", ALEMBIC_PATH, 14),
        },
        {
            ("MIG102", 11): "drops column users.api_token: its data is lost, and running code "
            "that reads it breaks",
            ("MIG103", 12): "renames column users.name to full_name: running code that reads "
            "users.name fails until the new code is deployed",
            ("MIG104", 13): "changes the type of orders.total to sa.Numeric(12, 2) "
            "(alter_column): the database rewrites the table under a lock (PostgreSQL, MySQL), "
            "and running code that expects the old type may break",
            ("MIG105", 14): "truncates table sessions: every row of it is deleted (op.execute)",
        },
    ),
    (
        "rails",
        RAILS,
        {
            ("MIG101", RAILS_PATH, 3),
            ("MIG102", RAILS_PATH, 4),
            ("MIG103", RAILS_PATH, 5),
            ("MIG104", RAILS_PATH, 6),
            ("MIG102", RAILS_PATH, 8),
            ("MIG105", RAILS_PATH, 11),
            ("MIG101", RAILS_PATH, 13),
        },
        {
            ("MIG101", 3): "drops table legacy_orders: its rows are lost, and running code that "
            "reads it breaks",
            ("MIG101", 13): "recreates table carts (create_table force: true): an existing "
            "table and all its rows are dropped first",
            ("MIG105", 11): "deletes every row of sessions (DELETE without WHERE) (execute)",
        },
    ),
    (
        "knex",
        KNEX,
        {
            ("MIG101", KNEX_PATH, 2),
            ("MIG102", KNEX_PATH, 4),
            ("MIG103", KNEX_PATH, 5),
            ("MIG105", KNEX_PATH, 7),
        },
        {("MIG105", 7): "deletes every row of sessions (DELETE without WHERE) (knex.raw)"},
    ),
    (
        "typeorm",
        TYPEORM,
        {
            ("MIG105", TYPEORM_PATH, 7),
            ("MIG105", TYPEORM_PATH, 8),
            ("MIG102", TYPEORM_PATH, 9),
        },
        {
            ("MIG105", 7): "drops column user.legacy_token: its data is lost, and running code "
            "that reads it breaks (queryRunner.query)",
        },
    ),
    (
        "sequelize",
        SEQUELIZE,
        {("MIG102", SEQUELIZE_PATH, 3), ("MIG103", SEQUELIZE_PATH, 4)},
        {},
    ),
    (
        "prisma",
        PRISMA,
        {
            ("MIG102", "prisma/schema.prisma", 8),
            ("MIG102", "prisma/schema.prisma", 9),
            ("MIG101", "prisma/schema.prisma", 19),
        },
        {
            ("MIG102", 8): "removes field User.nickname from the Prisma schema: the next "
            "migration drops column User.nickname and its data",
            ("MIG101", 19): "removes model AuditLog from the Prisma schema: the next migration "
            "drops table AuditLog and every row in it",
        },
    ),
]


@pytest.mark.parametrize(
    ("diff", "expected", "texts"), [c[1:] for c in FIRES], ids=[c[0] for c in FIRES]
)
def test_fires(diff: str, expected: set[tuple[str, str, int]], texts: dict) -> None:
    assert mig(diff) == expected
    got = messages(diff)
    for key, text in texts.items():
        assert got[key] == text


QUIET = [
    (
        "django_separate_database_and_state",
        added(
            DJ,
            """
            from django.db import migrations


            class Migration(migrations.Migration):
                operations = [
                    migrations.SeparateDatabaseAndState(
                        state_operations=[migrations.DeleteModel(name="Legacy")],
                        database_operations=[],
                    ),
                ]
            """,
        ),
    ),
    (
        "django_model_created_in_change",
        added(
            "shop/migrations/0001_initial.py",
            """
            from django.db import migrations, models


            class Migration(migrations.Migration):
                operations = [
                    migrations.CreateModel(name="Draft", fields=[("id", models.AutoField())]),
                    migrations.AddField(model_name="customer", name="tmp", field=models.TextField()),
                ]
            """,
        )
        + added(
            "shop/migrations/0002_cleanup.py",
            """
            from django.db import migrations


            class Migration(migrations.Migration):
                operations = [
                    migrations.RemoveField(model_name="draft", name="title"),
                    migrations.DeleteModel(name="Draft"),
                    migrations.RemoveField(model_name="customer", name="tmp"),
                ]
            """,
        ),
    ),
    (
        "django_alter_field_options_only",
        added(
            DJ,
            """
            from django.db import migrations, models


            class Migration(migrations.Migration):
                operations = [
                    migrations.AlterField(
                        model_name="customer", name="name", field=models.CharField(max_length=300)
                    ),
                    migrations.RunSQL("DROP TABLE IF EXISTS tmp_import;", migrations.RunSQL.noop),
                    migrations.RunSQL(migrations.RunSQL.noop, reverse_sql="DROP TABLE customer;"),
                ]
            """,
        ),
    ),
    (
        "rails_backfill_of_added_columns",
        added(
            RAILS_PATH,
            """
            class AddStatus < ActiveRecord::Migration[7.2]
              def change
                add_column :syncs, :completed_at, :datetime
                add_column :syncs, :failed_at, :datetime
                reversible do |dir|
                  dir.up do
                    execute <<-SQL
                      UPDATE syncs
                      SET completed_at = last_ran_at, failed_at = NULL
                    SQL
                  end
                end
              end
            end
            """,
        ),
    ),
    (
        "django_squashed_migration",
        added(
            "shop/migrations/0001_squashed_0040.py",
            """
            from django.db import migrations


            class Migration(migrations.Migration):
                replaces = [("shop", "0001_initial"), ("shop", "0040_cleanup")]
                operations = [migrations.RemoveField(model_name="customer", name="fax")]
            """,
        ),
    ),
    (
        "django_migration_in_tests",
        added(
            "tests/migrations/0002_remove.py",
            """
            from django.db import migrations


            class Migration(migrations.Migration):
                operations = [migrations.DeleteModel(name="Thing")]
            """,
        ),
    ),
    (
        "rails_down_and_reversible_down",
        added(
            RAILS_PATH,
            """
            class AddCarts < ActiveRecord::Migration[7.1]
              def up
                create_table :carts do |t|
                  t.string :token
                end
                reversible do |dir|
                  dir.down { drop_table :baskets }
                end
              end

              def down
                drop_table :carts
              end
            end
            """,
        ),
    ),
    (
        "rails_comment_and_string",
        added(
            RAILS_PATH,
            """
            class Noop < ActiveRecord::Migration[7.1]
              # drop_table :users
              def change
                say "drop_table :users is not run here"
                add_column :users, :nickname, :string
              end
            end
            """,
        ),
    ),
    (
        "alembic_downgrade_only",
        added(
            ALEMBIC_PATH,
            """
            from alembic import op
            import sqlalchemy as sa


            def upgrade():
                op.create_table("events", sa.Column("id", sa.Integer))


            def downgrade():
                op.drop_table("events")
            """,
        ),
    ),
    (
        "migration_edited_elsewhere",
        modified(
            RAILS_PATH,
            """
            class Cleanup < ActiveRecord::Migration[7.1]
              def change
                remove_column :users, :email, :string
              end
            end
            """,
            """
            # frozen_string_literal: true
            class Cleanup < ActiveRecord::Migration[7.1]
              def change
                remove_column :users, :email, :string
              end
            end
            """,
        ),
    ),
    (
        "typeorm_down_only",
        added(
            TYPEORM_PATH,
            """
            export class Add1 {
                public async up(queryRunner) {
                    await queryRunner.query(`CREATE TABLE "x" ("id" int)`);
                }
                public async down(queryRunner) {
                    await queryRunner.query(`DROP TABLE "x"`);
                }
            }
            """,
        ),
    ),
    (
        "knex_outside_migrations",
        added("src/admin/reset.js", 'await knex.schema.dropTable("users");'),
    ),
    (
        "prisma_field_renamed_with_map",
        modified(
            "prisma/schema.prisma",
            "model User {\n  id Int @id\n  email String\n}",
            'model User {\n  id Int @id\n  emailAddress String @map("email")\n}',
        ),
    ),
    (
        "prisma_with_migration_sql_in_change",
        PRISMA + added("prisma/migrations/20240501_x/migration.sql", 'DROP TABLE "AuditLog";'),
    ),
    (
        "prisma_relation_field_removed",
        modified(
            "prisma/schema.prisma",
            "model User {\n  id Int @id\n  posts Post[]\n}\nmodel Post {\n  id Int @id\n}",
            "model User {\n  id Int @id\n}\nmodel Post {\n  id Int @id\n}",
        ),
    ),
]


@pytest.mark.parametrize("diff", [c[1] for c in QUIET], ids=[c[0] for c in QUIET])
def test_quiet(diff: str) -> None:
    assert mig(diff) == set()


def test_django_alter_field_type_change_is_read_from_the_models_diff() -> None:
    models = modified(
        "shop/models.py",
        "class Customer(models.Model):\n    age = models.IntegerField()\n",
        "class Customer(models.Model):\n    age = models.CharField(max_length=3)\n",
    )
    migration = added(
        DJ,
        """
        from django.db import migrations, models


        class Migration(migrations.Migration):
            operations = [
                migrations.AlterField(
                    model_name="customer", name="age", field=models.CharField(max_length=3)
                ),
            ]
        """,
    )
    report = run_diff(models + migration, select=["MIG"])
    assert found(report) == {("MIG104", DJ, 6)}
    assert report.findings[0].message.startswith(
        "changes the type of customer.age from IntegerField to CharField"
    )


def test_prisma_finding_points_at_the_old_line() -> None:
    report = run_diff(PRISMA, select=["MIG101"])
    (finding,) = report.findings
    assert (finding.side, finding.line, finding.severity) == ("old", 19, Severity.HIGH)
