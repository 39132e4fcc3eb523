/** Shown beside each field: the save of its last change. */
export type SaveState = 'saving' | 'saved';
