-- News (新闻资讯, M1; seed §9.1): articles the marketing manager writes and publishes to the
-- customer-facing site (车管家前端). Instants are UTC.

-- An article. `body` is stored sanitised (ServiceKit's RichTextSanitizer): what the site shows
-- is what is here. `state`: draft (草稿) → published (已发布) ⇄ withdrawn (已撤回).
CREATE TABLE news_article (
    id             uuid PRIMARY KEY,
    store_id       uuid NOT NULL,
    category       text NOT NULL,
    title          text NOT NULL,
    summary        text,
    body           text NOT NULL,
    display_order  integer NOT NULL DEFAULT 0,
    state          text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'published', 'withdrawn')),
    published_at   timestamptz,
    withdrawn_at   timestamptz,
    created_by     uuid NOT NULL,
    updated_by     uuid NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (state <> 'published' OR published_at IS NOT NULL)
);
CREATE INDEX news_article_listed ON news_article (store_id, display_order, created_at DESC, id);
CREATE INDEX news_article_published ON news_article (store_id, display_order, published_at DESC, id) WHERE state = 'published';

-- An article's cover image (封面): PNG, JPEG or WebP, checked by its first bytes when uploaded.
CREATE TABLE news_cover (
    article_id    uuid PRIMARY KEY REFERENCES news_article ON DELETE CASCADE,
    content_type  text NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg', 'image/webp')),
    content       bytea NOT NULL,
    uploaded_at   timestamptz NOT NULL DEFAULT now()
);
