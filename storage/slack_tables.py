"""slack-sdk's OAuth tables (installations, bots, OAuth states), in the app's metadata.

The OAuth installation and state stores read and write them; declaring them here with
slack-sdk's own builders lets the migrations test compare them like every other table, and
migration 0008 creates them (never ``create_all``).
"""

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Table
from sqlmodel import SQLModel

INSTALLATIONS_TABLE = SQLAlchemyInstallationStore.default_installations_table_name
BOTS_TABLE = SQLAlchemyInstallationStore.default_bots_table_name
STATES_TABLE = SQLAlchemyOAuthStateStore.default_table_name

installations: Table = SQLAlchemyInstallationStore.build_installations_table(
    SQLModel.metadata, INSTALLATIONS_TABLE
)
bots: Table = SQLAlchemyInstallationStore.build_bots_table(SQLModel.metadata, BOTS_TABLE)
oauth_states: Table = SQLAlchemyOAuthStateStore.build_oauth_states_table(
    SQLModel.metadata, STATES_TABLE
)
