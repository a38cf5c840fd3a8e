-- Couple reads and board paging (issue 12). Boards page newest first by id (`?before=`):
-- a board's published posts are read through this index in id order, however few of the
-- table's rows the board holds. The courtships board reads `turns` by its primary key (most
-- turns are published) or, for one couple, by `turns_couple_idx (couple_id, id)`, which
-- also serves a member's `GET /api/couples/:id/turns`; a persona's one live post per board
-- is found by `board_posts_persona_idx`.
CREATE INDEX board_posts_board_id_idx ON board_posts (board, id DESC) WHERE status = 'published';
