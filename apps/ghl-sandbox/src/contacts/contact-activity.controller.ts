import { Body, Controller, Delete, Get, Param, Post, Put, Req } from '@nestjs/common';

import { SandboxStore } from '../dataset/sandbox-store.service';
import { AuthenticatedRequest } from '../oauth/ghl-access.guard';
import { GhlEndpoint } from '../oauth/ghl-endpoint.decorator';
import { ContactActivityService, NoteInput, TaskInput } from './contact-activity.service';
import { ContactsService } from './contacts.service';
import { datasetOf } from './location-scope';

const READ = { scopes: ['contacts.readonly'] };
const WRITE = { scopes: ['contacts.write'] };

/** A contact's tasks, notes and appointments. */
@Controller('contacts/:contactId')
export class ContactActivityController {
  constructor(
    private readonly store: SandboxStore,
    private readonly activity: ContactActivityService,
    private readonly contacts: ContactsService,
  ) {}

  @Get('tasks')
  @GhlEndpoint(READ)
  tasks(@Req() request: AuthenticatedRequest, @Param('contactId') contactId: string) {
    return { tasks: this.activity.tasks(datasetOf(this.store, request), contactId) };
  }

  @Post('tasks')
  @GhlEndpoint(WRITE)
  createTask(
    @Req() request: AuthenticatedRequest,
    @Param('contactId') contactId: string,
    @Body() body: TaskInput,
  ) {
    const change = this.activity.createTask(datasetOf(this.store, request), contactId, body);
    this.contacts.notify(change.events);

    return { task: change.record };
  }

  @Get('tasks/:taskId')
  @GhlEndpoint(READ)
  task(
    @Req() request: AuthenticatedRequest,
    @Param('contactId') contactId: string,
    @Param('taskId') taskId: string,
  ) {
    return { task: this.activity.task(datasetOf(this.store, request), contactId, taskId) };
  }

  @Put('tasks/:taskId')
  @GhlEndpoint(WRITE)
  updateTask(
    @Req() request: AuthenticatedRequest,
    @Param('contactId') contactId: string,
    @Param('taskId') taskId: string,
    @Body() body: TaskInput,
  ) {
    const dataset = datasetOf(this.store, request);
    const change = this.activity.updateTask(dataset, contactId, taskId, body ?? {});
    this.contacts.notify(change.events);

    return { task: change.record };
  }

  @Put('tasks/:taskId/completed')
  @GhlEndpoint(WRITE)
  completeTask(
    @Req() request: AuthenticatedRequest,
    @Param('contactId') contactId: string,
    @Param('taskId') taskId: string,
    @Body() body: { completed?: unknown },
  ) {
    const dataset = datasetOf(this.store, request);
    const change = this.activity.completeTask(dataset, contactId, taskId, body?.completed);
    this.contacts.notify(change.events);

    return { task: change.record };
  }

  @Delete('tasks/:taskId')
  @GhlEndpoint(WRITE)
  deleteTask(
    @Req() request: AuthenticatedRequest,
    @Param('contactId') contactId: string,
    @Param('taskId') taskId: string,
  ) {
    const change = this.activity.deleteTask(datasetOf(this.store, request), contactId, taskId);
    this.contacts.notify(change.events);

    return { succeded: true };
  }

  @Get('notes')
  @GhlEndpoint(READ)
  notes(@Req() request: AuthenticatedRequest, @Param('contactId') contactId: string) {
    return { notes: this.activity.notes(datasetOf(this.store, request), contactId) };
  }

  @Post('notes')
  @GhlEndpoint(WRITE)
  createNote(
    @Req() request: AuthenticatedRequest,
    @Param('contactId') contactId: string,
    @Body() body: NoteInput,
  ) {
    const change = this.activity.createNote(datasetOf(this.store, request), contactId, body);
    this.contacts.notify(change.events);

    return { note: change.record };
  }

  @Get('notes/:id')
  @GhlEndpoint(READ)
  note(
    @Req() request: AuthenticatedRequest,
    @Param('contactId') contactId: string,
    @Param('id') noteId: string,
  ) {
    return { note: this.activity.note(datasetOf(this.store, request), contactId, noteId) };
  }

  @Put('notes/:id')
  @GhlEndpoint(WRITE)
  updateNote(
    @Req() request: AuthenticatedRequest,
    @Param('contactId') contactId: string,
    @Param('id') noteId: string,
    @Body() body: NoteInput,
  ) {
    const dataset = datasetOf(this.store, request);
    const change = this.activity.updateNote(dataset, contactId, noteId, body ?? {});
    this.contacts.notify(change.events);

    return { note: change.record };
  }

  @Delete('notes/:id')
  @GhlEndpoint(WRITE)
  deleteNote(
    @Req() request: AuthenticatedRequest,
    @Param('contactId') contactId: string,
    @Param('id') noteId: string,
  ) {
    const change = this.activity.deleteNote(datasetOf(this.store, request), contactId, noteId);
    this.contacts.notify(change.events);

    return { succeded: true };
  }

  @Get('appointments')
  @GhlEndpoint(READ)
  appointments(@Req() request: AuthenticatedRequest, @Param('contactId') contactId: string) {
    return { events: this.activity.appointments(datasetOf(this.store, request), contactId) };
  }
}
