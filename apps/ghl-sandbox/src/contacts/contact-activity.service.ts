import { Injectable } from '@nestjs/common';

import { LocationDataset } from '../dataset/location-dataset';
import { SandboxNote, SandboxTask } from '../dataset/records';
import { SandboxStore } from '../dataset/sandbox-store.service';
import { notFound, unprocessable } from '../http/ghl-errors';
import { noteEvent, taskEvent } from '../webhooks/webhook-payloads';
import { Change } from './contacts.service';

export interface TaskInput {
  title?: string;
  body?: string;
  dueDate?: string;
  completed?: boolean;
  assignedTo?: string;
}

export interface NoteInput {
  body?: string;
  userId?: string;
}

/** A contact's tasks, notes and appointments. */
@Injectable()
export class ContactActivityService {
  constructor(private readonly store: SandboxStore) {}

  tasks(dataset: LocationDataset, contactId: string): SandboxTask[] {
    this.requireContact(dataset, contactId);

    return dataset.childrenOf(contactId).tasks;
  }

  task(dataset: LocationDataset, contactId: string, taskId: string): SandboxTask {
    const task = this.tasks(dataset, contactId).find((item) => item.id === taskId);
    if (!task) throw notFound('Task not found');

    return task;
  }

  createTask(dataset: LocationDataset, contactId: string, input: TaskInput): Change<SandboxTask> {
    this.requireContact(dataset, contactId);
    const problems = taskProblems(input, true);
    if (problems.length > 0) throw unprocessable(problems);

    const task: SandboxTask = {
      id: this.store.changePrng(dataset.id).id(),
      title: input.title as string,
      body: input.body ?? '',
      assignedTo: input.assignedTo,
      dueDate: new Date(input.dueDate as string).toISOString(),
      completed: input.completed as boolean,
      contactId,
      dateAdded: new Date().toISOString(),
    };
    dataset.mutableChildrenOf(contactId).tasks.push(task);

    return { record: task, events: [taskEvent('TaskCreate', dataset.id, task)] };
  }

  updateTask(
    dataset: LocationDataset,
    contactId: string,
    taskId: string,
    input: TaskInput,
  ): Change<SandboxTask> {
    const problems = taskProblems(input, false);
    if (problems.length > 0) throw unprocessable(problems);
    const task = this.mutableTask(dataset, contactId, taskId);
    const wasCompleted = task.completed;
    if (input.title !== undefined) task.title = input.title;
    if (input.body !== undefined) task.body = input.body;
    if (input.assignedTo !== undefined) task.assignedTo = input.assignedTo;
    if (input.dueDate !== undefined) task.dueDate = new Date(input.dueDate).toISOString();
    if (input.completed !== undefined) task.completed = input.completed;
    const isNowCompleted = !wasCompleted && task.completed;

    return {
      record: task,
      events: isNowCompleted ? [taskEvent('TaskComplete', dataset.id, task)] : [],
    };
  }

  completeTask(
    dataset: LocationDataset,
    contactId: string,
    taskId: string,
    completed: unknown,
  ): Change<SandboxTask> {
    if (typeof completed !== 'boolean') throw unprocessable(['completed must be a boolean value']);

    return this.updateTask(dataset, contactId, taskId, { completed });
  }

  deleteTask(dataset: LocationDataset, contactId: string, taskId: string): Change<SandboxTask> {
    const task = this.mutableTask(dataset, contactId, taskId);
    const tasks = dataset.mutableChildrenOf(contactId).tasks;
    tasks.splice(tasks.indexOf(task), 1);

    return { record: task, events: [taskEvent('TaskDelete', dataset.id, task)] };
  }

  notes(dataset: LocationDataset, contactId: string): SandboxNote[] {
    this.requireContact(dataset, contactId);

    return dataset.childrenOf(contactId).notes;
  }

  note(dataset: LocationDataset, contactId: string, noteId: string): SandboxNote {
    const note = this.notes(dataset, contactId).find((item) => item.id === noteId);
    if (!note) throw notFound('Note not found');

    return note;
  }

  createNote(dataset: LocationDataset, contactId: string, input: NoteInput): Change<SandboxNote> {
    this.requireContact(dataset, contactId);
    if (typeof input?.body !== 'string' || input.body === '') {
      throw unprocessable(['body should not be empty', 'body must be a string']);
    }
    const note: SandboxNote = {
      id: this.store.changePrng(dataset.id).id(),
      body: input.body,
      userId: input.userId ?? dataset.users[0].id,
      dateAdded: new Date().toISOString(),
      contactId,
    };
    dataset.mutableChildrenOf(contactId).notes.push(note);

    return { record: note, events: [noteEvent('NoteCreate', dataset.id, note)] };
  }

  updateNote(
    dataset: LocationDataset,
    contactId: string,
    noteId: string,
    input: NoteInput,
  ): Change<SandboxNote> {
    const note = this.mutableNote(dataset, contactId, noteId);
    if (input?.body !== undefined) {
      if (typeof input.body !== 'string') throw unprocessable(['body must be a string']);
      note.body = input.body;
    }
    if (input?.userId !== undefined) note.userId = input.userId;

    return { record: note, events: [noteEvent('NoteUpdate', dataset.id, note)] };
  }

  deleteNote(dataset: LocationDataset, contactId: string, noteId: string): Change<SandboxNote> {
    const note = this.mutableNote(dataset, contactId, noteId);
    const notes = dataset.mutableChildrenOf(contactId).notes;
    notes.splice(notes.indexOf(note), 1);

    return { record: note, events: [noteEvent('NoteDelete', dataset.id, note)] };
  }

  appointments(dataset: LocationDataset, contactId: string) {
    this.requireContact(dataset, contactId);

    return dataset.childrenOf(contactId).appointments;
  }

  private mutableTask(dataset: LocationDataset, contactId: string, taskId: string): SandboxTask {
    this.task(dataset, contactId, taskId);

    return dataset
      .mutableChildrenOf(contactId)
      .tasks.find((item) => item.id === taskId) as SandboxTask;
  }

  private mutableNote(dataset: LocationDataset, contactId: string, noteId: string): SandboxNote {
    this.note(dataset, contactId, noteId);

    return dataset
      .mutableChildrenOf(contactId)
      .notes.find((item) => item.id === noteId) as SandboxNote;
  }

  private requireContact(dataset: LocationDataset, contactId: string): void {
    if (!dataset.contacts.has(contactId)) throw notFound('Contact not found');
  }
}

function taskProblems(input: TaskInput, isCreate: boolean): string[] {
  const problems: string[] = [];
  const body = input ?? {};
  if (isCreate && typeof body.title !== 'string') problems.push('title must be a string');
  if (body.title !== undefined && typeof body.title !== 'string') {
    problems.push('title must be a string');
  }
  const hasDueDate = body.dueDate !== undefined;
  if (isCreate && !hasDueDate) problems.push('dueDate should not be empty');
  if (hasDueDate && Number.isNaN(Date.parse(String(body.dueDate)))) {
    problems.push('dueDate must be a valid ISO 8601 date string');
  }
  if (isCreate && typeof body.completed !== 'boolean') {
    problems.push('completed must be a boolean value');
  }
  if (!isCreate && body.completed !== undefined && typeof body.completed !== 'boolean') {
    problems.push('completed must be a boolean value');
  }

  return [...new Set(problems)];
}
