"""Every callback, block and action id the bot uses, in one place.

Slack routes interactions back by these strings, so a typo would silently break a button; enums
make them checkable, and the handlers and view builders share them. Input blocks are read back
by ``block_id`` (each holds one element), so their action ids need not be unique names.
"""

from enum import StrEnum


class CallbackId(StrEnum):
    """``callback_id`` of modals."""

    PROGRAM = "program_modal"
    JOIN = "join_modal"
    PAUSE = "pause_modal"
    LEAVE = "leave_modal"
    MATCH_SWAP = "match_swap_modal"
    BOARD = "board_modal"
    # --- pair journey: goals
    # --- pair journey: sessions and agenda
    SCHEDULE = "schedule_modal"
    SESSION_CANCEL = "session_cancel_modal"
    LOG = "log_modal"
    AGENDA = "agenda_modal"
    # --- pair journey: feedback, scorecards, skills
    # --- pair journey: stages, surveys, graduation


class BlockId(StrEnum):
    """``block_id`` of blocks handlers read back (input blocks, mostly)."""

    HOME_WELCOME = "home_welcome"
    # program modal
    PROGRAM_NAME = "program_name"
    PROGRAM_PURPOSE = "program_purpose"
    PROGRAM_PURPOSE_DETAIL = "program_purpose_detail"
    PROGRAM_COMPANY_GOAL = "program_company_goal"
    PROGRAM_STRUCTURE = "program_structure"
    PROGRAM_GROUP_SIZE = "program_group_size"
    PROGRAM_PLACES = "program_places"
    PROGRAM_SUCCESS = "program_success"
    PROGRAM_MEASURES = "program_measures"
    PROGRAM_REVIEW_STYLE = "program_review_style"
    PROGRAM_CADENCE = "program_cadence"
    PROGRAM_SESSION_MINUTES = "program_session_minutes"
    PROGRAM_START = "program_start"
    PROGRAM_END = "program_end"
    PROGRAM_LENGTH = "program_length"
    PROGRAM_VISIBILITY = "program_visibility"
    PROGRAM_COMPETENCIES = "program_competencies"
    PROGRAM_DIGEST_CHANNEL = "program_digest_channel"
    PROGRAM_CO_LEADS = "program_co_leads"
    # join / profile modal
    JOIN_SITUATION = "join_situation"
    JOIN_AIM = "join_aim"
    JOIN_SKILL_1 = "join_skill_1"
    JOIN_SKILL_2 = "join_skill_2"
    JOIN_SKILL_3 = "join_skill_3"
    JOIN_SCORE_1 = "join_score_1"
    JOIN_SCORE_2 = "join_score_2"
    JOIN_SCORE_3 = "join_score_3"
    JOIN_SKILLS_OFFERED = "join_skills_offered"
    JOIN_CAPACITY = "join_capacity"
    JOIN_INTERESTS = "join_interests"
    JOIN_VALUES = "join_values"
    JOIN_DAYS = "join_days"
    JOIN_WORK_START = "join_work_start"
    JOIN_WORK_END = "join_work_end"
    JOIN_AVAILABILITY = "join_availability"
    JOIN_CADENCE = "join_cadence"
    # pause / leave
    PAUSE_UNTIL = "pause_until"
    LEAVE_NOTE = "leave_note"
    # matching
    MATCH_SWAP_MENTOR = "match_swap_mentor"
    # board
    BOARD_ROLE_PREFIX = "board_role_"
    # which pairing a modal is about, when the person has several
    PAIRING = "pairing"
    # --- pair journey: goals
    # --- pair journey: sessions and agenda
    SESSION_DATE = "session_date"
    SESSION_TIME = "session_time"
    SESSION_LENGTH = "session_length"
    SESSION_CANCEL_REASON = "session_cancel_reason"
    LOG_DATE = "log_date"
    LOG_MINUTES = "log_minutes"
    LOG_GOALS = "log_goals"
    LOG_NOTES = "log_notes"
    # one block each per action item, suffixed 1 to 3
    LOG_ACTION_TEXT_PREFIX = "log_action_text_"
    LOG_ACTION_OWNER_PREFIX = "log_action_owner_"
    LOG_ACTION_DUE_PREFIX = "log_action_due_"
    AGENDA_NEW = "agenda_new"
    AGENDA_SUBMIT = "agenda_submit"
    # checkbox groups of at most 10 options each, suffixed 0, 1, ...
    AGENDA_REMOVE_PREFIX = "agenda_remove_"
    AGENDA_DONE_PREFIX = "agenda_done_"
    # --- pair journey: feedback, scorecards, skills
    # --- pair journey: stages, surveys, graduation


class ActionId(StrEnum):
    """``action_id`` of interactive elements."""

    HOME_HELP = "home_help"
    INPUT = "input"
    # programs (button value: program id)
    PROGRAM_NEW = "program_new"
    PROGRAM_EDIT = "program_edit"
    PROGRAM_OPEN_ENROLMENT = "program_open_enrolment"
    PROGRAM_START = "program_start"
    PROGRAM_CLOSE = "program_close"
    PROGRAM_MATCH = "program_match"
    # enrolment (button value: "<program id>:<role>")
    JOIN = "join"
    JOIN_PICK = "join_pick"
    REMATCH = "rematch"
    # matching (button value: pairing id)
    MATCH_APPROVE = "match_approve"
    MATCH_APPROVE_ALL = "match_approve_all"
    MATCH_SWAP = "match_swap"
    MATCH_LATER = "match_later"
    MATCH_PAGE = "match_page"
    # board
    BOARD_EDIT = "board_edit"
    # --- pair journey: buttons that open a flow, shared by DMs, the Home tab and /mentor status.
    # Value: the pairing id, except FEEDBACK_OPEN whose value is the meeting id.
    GOALS_OPEN = "goals_open"
    SCHEDULE_OPEN = "schedule_open"
    LOG_OPEN = "log_open"
    AGENDA_OPEN = "agenda_open"
    FEEDBACK_OPEN = "feedback_open"
    SKILLS_OPEN = "skills_open"
    # --- pair journey: goals
    # --- pair journey: sessions and agenda
    # value: the meeting id
    SESSION_CANCEL = "session_cancel"
    # --- pair journey: feedback, scorecards, skills
    # --- pair journey: stages, surveys, graduation
