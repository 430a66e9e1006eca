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
    # a lead invites people and a channel's members to a program (from its Home card)
    INVITE = "invite_modal"
    # who was invited to a program, who joined and who declined, a page at a time
    INVITATIONS = "invitations_modal"
    # the confirmation of /mentor forget-me: what will go, and one button to erase it
    FORGET_ME = "forget_me_modal"
    MATCH_SWAP = "match_swap_modal"
    BOARD = "board_modal"
    # --- pair journey: goals
    GOALS = "goals_modal"
    GOAL_FORM = "goal_form_modal"
    GOAL_SUGGEST = "goal_suggest_modal"
    GOAL_PROGRESS = "goal_progress_modal"
    GOAL_MILESTONES = "goal_milestones_modal"
    # --- pair journey: sessions and agenda
    SCHEDULE = "schedule_modal"
    SESSION_CANCEL = "session_cancel_modal"
    LOG = "log_modal"
    AGENDA = "agenda_modal"
    # --- pair journey: feedback, scorecards, skills
    FEEDBACK = "feedback_modal"
    FEEDBACK_SENT = "feedback_sent_modal"
    SCORECARD_COMMENT = "scorecard_comment_modal"
    SKILLS = "skills_modal"
    # --- pair journey: stages, surveys, graduation
    SURVEY = "survey_modal"
    SURVEY_DONE = "survey_done_modal"
    GRADUATION = "graduation_modal"
    # --- learning plans, notes, outside feedback
    PLAN = "plan_modal"
    PLAN_RESOURCE = "plan_resource_modal"
    PLAN_TASK = "plan_task_modal"
    NOTES = "notes_modal"
    NOTES_DOCUMENT = "notes_document_modal"
    NOTES_DELETE = "notes_delete_modal"
    OUTSIDE_FEEDBACK_ASK = "outside_feedback_ask_modal"
    OUTSIDE_FEEDBACK = "outside_feedback_modal"
    # a small modal that says why a click inside a modal or the Home tab could not be done
    NOTICE = "notice_modal"
    # the command list, opened from the Home tab
    HELP = "help_modal"


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
    # privacy: days people's words are kept after the program closes; the fewest people an
    # average shown to leads may be over
    PROGRAM_RETENTION = "program_retention"
    PROGRAM_MIN_GROUP = "program_min_group"
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
    # "also erase everything I wrote in this program"
    LEAVE_ERASE = "leave_erase"
    # the invite modal: people to invite, and a channel whose members to invite
    INVITE_PEOPLE = "invite_people"
    INVITE_CHANNEL = "invite_channel"
    # matching
    MATCH_SWAP_MENTOR = "match_swap_mentor"
    # board
    BOARD_ROLE_PREFIX = "board_role_"
    # which pairing a modal is about, when the person has several
    PAIRING = "pairing"
    # --- pair journey: goals
    GOAL_STATEMENT = "goal_statement"
    GOAL_SUCCESS = "goal_success"
    GOAL_DUE = "goal_due"
    # one pair of inputs per milestone row: "<prefix><row>", rows 1 to 5
    GOAL_MILESTONE_TITLE_PREFIX = "goal_milestone_title_"
    GOAL_MILESTONE_DUE_PREFIX = "goal_milestone_due_"
    GOAL_SUGGESTION = "goal_suggestion"
    GOAL_PROGRESS_STATUS = "goal_progress_status"
    GOAL_PROGRESS_NOTE = "goal_progress_note"
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
    FEEDBACK_WENT_WELL = "feedback_went_well"
    FEEDBACK_NEEDS_CHANGE = "feedback_needs_change"
    FEEDBACK_NEXT_ACTION = "feedback_next_action"
    SCORECARD_COMMENT = "scorecard_comment"
    # the scorecard DM's rows of rating buttons, one actions block per question
    SCORECARD_CLARITY = "scorecard_clarity"
    SCORECARD_ENERGY = "scorecard_energy"
    SCORECARD_CONFIDENCE = "scorecard_confidence"
    # one static_select per competency, suffixed by its position in Program.competencies
    SKILL_PREFIX = "skill_"
    # --- pair journey: stages, surveys, graduation
    # the stage picker (a section whose accessory is the stage select)
    STAGE_PICK = "stage_pick"
    # survey modal: one input per question, "<prefix><question key>"
    SURVEY_PREFIX = "survey_"
    # graduation modal: an outcome select and a one-line note per goal, "<prefix><goal id>"
    GRADUATION_GOAL_PREFIX = "graduation_goal_"
    GRADUATION_NOTE_PREFIX = "graduation_note_"
    GRADUATION_AFTER = "graduation_after"
    GRADUATION_CHANNEL = "graduation_channel"
    # --- learning plans, notes, outside feedback
    PLAN_RESOURCE_TITLE = "plan_resource_title"
    PLAN_RESOURCE_URL = "plan_resource_url"
    PLAN_RESOURCE_KIND = "plan_resource_kind"
    PLAN_TASK_TITLE = "plan_task_title"
    PLAN_TASK_DUE = "plan_task_due"
    NOTES_NEW = "notes_new"
    NOTES_DOCUMENT_TITLE = "notes_document_title"
    NOTES_DOCUMENT_URL = "notes_document_url"
    OUTSIDE_FEEDBACK_QUESTION = "outside_feedback_question"
    OUTSIDE_FEEDBACK_GOAL = "outside_feedback_goal"
    OUTSIDE_FEEDBACK_DOES_WELL = "outside_feedback_does_well"
    OUTSIDE_FEEDBACK_TO_CHANGE = "outside_feedback_to_change"
    OUTSIDE_FEEDBACK_RATING = "outside_feedback_rating"


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
    # invitations (value: the program id)
    INVITE_OPEN = "invite_open"
    INVITATIONS_OPEN = "invitations_open"
    INVITATION_DECLINE = "invitation_decline"
    # the invitations list's page buttons, value "<program id>:<offset>"
    INVITATIONS_PREVIOUS = "invitations_previous"
    INVITATIONS_NEXT = "invitations_next"
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
    # "did you meet?" answers (value: meeting id)
    MEETING_HELD = "meeting_held"
    MEETING_MOVED = "meeting_moved"
    MEETING_CANCELLED = "meeting_cancelled"
    # --- pair journey: goals
    # value: the pairing id
    GOAL_ADD = "goal_add"
    # value: the goal id
    GOAL_EDIT = "goal_edit"
    GOAL_UPDATE_PROGRESS = "goal_update_progress"
    GOAL_MILESTONES = "goal_milestones"
    GOAL_AGREE = "goal_agree"
    GOAL_SUGGEST = "goal_suggest"
    # value: the milestone id
    GOAL_MILESTONE_TOGGLE = "goal_milestone_toggle"
    GOAL_MILESTONE_UP = "goal_milestone_up"
    GOAL_MILESTONE_DOWN = "goal_milestone_down"
    # --- pair journey: sessions and agenda
    # value: the meeting id
    SESSION_CANCEL = "session_cancel"
    # --- pair journey: feedback, scorecards, skills
    # scorecard rating buttons: "<prefix><score>" (ids must differ inside an actions block);
    # value "<scorecard id>:<score>"
    SCORECARD_CLARITY_PREFIX = "scorecard_clarity_"
    SCORECARD_ENERGY_PREFIX = "scorecard_energy_"
    SCORECARD_CONFIDENCE_PREFIX = "scorecard_confidence_"
    # value: the scorecard id
    SCORECARD_COMMENT = "scorecard_comment"
    # low-score suggestion, value "<scorecard id>:<dimension>:<low count>:<window size>"
    SCORECARD_RAISE = "scorecard_raise"
    SCORECARD_NOT_NOW = "scorecard_not_now"
    # value: the pairing id
    SKILLS_REASSESS = "skills_reassess"
    # value "<pairing id>:<round>"
    SKILLS_GAPS_TO_AGENDA = "skills_gaps_to_agenda"
    # --- pair journey: stages, surveys, graduation
    # stage select, option value "<pairing id>:<stage>"
    STAGE_MOVE = "stage_move"
    # value "<pairing id>:<survey kind>"; several in one actions block add ":<kind>" to the id
    SURVEY_OPEN = "survey_open"
    # value: the pairing id
    GRADUATION_OPEN = "graduation_open"
    # --- leads: digest, report and export
    # the report's page buttons, value "<program id>:<offset>"
    REPORT_NEXT = "digest_report_next"
    REPORT_PREVIOUS = "digest_report_previous"
    # --- learning plans, notes, outside feedback
    # value: the pairing id
    PLAN_OPEN = "plan_open"
    NOTES_OPEN = "notes_open"
    NOTES_DOCUMENT_ADD = "notes_document_add"
    NOTES_DELETE = "notes_delete"
    # value "<pairing id>:<offset>"
    NOTES_PAGE = "notes_page"
    # value: the document id
    NOTES_DOCUMENT_REMOVE = "notes_document_remove"
    # value: the goal id
    PLAN_GOAL_OPEN = "plan_goal_open"
    PLAN_RESOURCE_ADD = "plan_resource_add"
    PLAN_TASK_ADD = "plan_task_add"
    # value: the resource id
    PLAN_RESOURCE_REMOVE = "plan_resource_remove"
    # a task's overflow menu, option value "<todo|doing|done|remove>:<task id>"
    PLAN_TASK_MENU = "plan_task_menu"
    # value: the outside-feedback request id
    OUTSIDE_FEEDBACK_GIVE = "outside_feedback_give"
    OUTSIDE_FEEDBACK_DECLINE = "outside_feedback_decline"
    OUTSIDE_FEEDBACK_SHARE = "outside_feedback_share"
