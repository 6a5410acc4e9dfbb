-- Data dictionaries (数据字典, G5): each store's changes to the built-in catalogue
-- (Contracts' DataDictionaries) and its own entries in the open sets. A set a store has never
-- changed has no rows here and is the catalogue's; once changed, every entry of it is kept.
CREATE TABLE dictionary_entry (
    store_id   uuid NOT NULL REFERENCES store,
    set_name   text NOT NULL,
    code       text NOT NULL,
    label      text NOT NULL,
    position   int NOT NULL,
    enabled    boolean NOT NULL,
    built_in   boolean NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, set_name, code)
);

-- One version per store and set, announced with identity.dictionary.changed.v1.
CREATE TABLE dictionary_set (
    store_id  uuid NOT NULL REFERENCES store,
    set_name  text NOT NULL,
    version   bigint NOT NULL,
    PRIMARY KEY (store_id, set_name)
);
